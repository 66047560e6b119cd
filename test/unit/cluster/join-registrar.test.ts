import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/log.js';
import {
  askRegistrar,
  createLedgerRegistrar,
  joinLedgerFile,
  type LedgerRegistrarOptions,
} from '../../../src/cluster/join-registrar.js';

const log = createLogger({ level: 'silent' });

/** A registrar on a fresh data dir; `ready` holds the nodes Ready as servers, `clock.t` is now. */
async function setup(over: Partial<LedgerRegistrarOptions> = {}) {
  const dataDir = over.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'nucmesh-ledger-')));
  const ready = new Set<string>();
  const clock = { t: 0 };
  const make = (more: Partial<LedgerRegistrarOptions> = {}) =>
    createLedgerRegistrar({
      dataDir,
      selfNodeId: 'seed',
      servers: 3,
      isServerReady: (id) => ready.has(id),
      now: () => clock.t,
      log,
      releaseAfterMs: 60_000,
      retryAfterMs: 7000,
      ...over,
      ...more,
    });
  return { dataDir, ready, clock, make, reg: make() };
}

test('the seed is slot 1; one server at a time; agents once the cluster has `servers` servers', async () => {
  const { reg, ready } = await setup();
  assert.deepEqual(await reg.assign('b'), { kind: 'server' });
  assert.deepEqual(await reg.assign('c'), { kind: 'wait', retryAfterMs: 7000 }, 'b is still pending');
  ready.add('b');
  assert.deepEqual(await reg.assign('c'), { kind: 'server' });
  ready.add('c');
  for (const id of ['d', 'e', 'f']) assert.deepEqual(await reg.assign(id), { kind: 'agent' });
  const ledger = await reg.ledger();
  assert.deepEqual(
    ledger.entries.map((e) => [e.nodeId, e.role, e.seq, e.state]),
    [
      ['seed', 'server', 1, 'ready'],
      ['b', 'server', 2, 'ready'],
      ['c', 'server', 3, 'ready'],
      ['d', 'agent', 4, undefined],
      ['e', 'agent', 5, undefined],
      ['f', 'agent', 6, undefined],
    ],
  );
});

test('with servers: 1 the seed stays the only server and every joiner is an agent', async () => {
  const { reg } = await setup({ servers: 1 });
  assert.deepEqual(await reg.assign('b'), { kind: 'agent' });
  assert.deepEqual(await reg.assign('c'), { kind: 'agent' });
});

test('agents join in parallel while no server slot is open, and are never held back by a pending server', async () => {
  const { reg } = await setup({ servers: 2 });
  assert.deepEqual(await reg.assign('b'), { kind: 'server' });
  const agents = await Promise.all(['c', 'd', 'e'].map((id) => reg.assign(id)));
  assert.deepEqual(agents, [{ kind: 'agent' }, { kind: 'agent' }, { kind: 'agent' }]);
});

test('concurrent asks never share a server slot', async () => {
  const { reg } = await setup({ servers: 5 });
  const answers = await Promise.all(['b', 'c', 'd', 'e', 'f'].map((id) => reg.assign(id)));
  assert.equal(answers.filter((a) => a.kind === 'server').length, 1);
  assert.equal(answers.filter((a) => a.kind === 'wait').length, 4);
});

test('asking again gives the same role, also after the joiner or the registrar restarted', async () => {
  const { reg, ready, make, dataDir } = await setup({ servers: 3 });
  assert.deepEqual(await reg.assign('b'), { kind: 'server' });
  assert.deepEqual(await reg.assign('b'), { kind: 'server' }, 'a restarted joiner keeps its slot');
  ready.add('b');
  assert.deepEqual(await reg.assign('c'), { kind: 'server' });
  ready.add('c');
  assert.deepEqual(await reg.assign('d'), { kind: 'agent' });
  const restarted = make();
  assert.deepEqual(await restarted.assign('d'), { kind: 'agent' });
  assert.deepEqual(await restarted.assign('c'), { kind: 'server' });
  assert.deepEqual(await restarted.assign('x'), { kind: 'agent' }, 'no fourth server slot after a restart');
  assert.equal((await stat(joinLedgerFile(dataDir))).mode & 0o777, 0o600);
});

test('a pending grant is kept across a registrar restart (no second slot while it is pending)', async () => {
  const { reg, make } = await setup({ servers: 3 });
  assert.deepEqual(await reg.assign('b'), { kind: 'server' });
  const restarted = make();
  assert.deepEqual(await restarted.assign('c'), { kind: 'wait', retryAfterMs: 7000 });
  assert.deepEqual(await restarted.assign('b'), { kind: 'server' });
});

test('a pending grant that never becomes Ready is released after releaseAfterMs; one that became Ready is not', async () => {
  const { reg, clock, ready, make } = await setup({ servers: 5 });
  assert.deepEqual(await reg.assign('b'), { kind: 'server' });
  clock.t = 59_999;
  assert.equal((await reg.assign('c')).kind, 'wait');
  clock.t = 60_000;
  assert.deepEqual(await reg.assign('c'), { kind: 'server' }, 'b released, c gets the slot');
  assert.equal(
    (await reg.ledger()).entries.some((e) => e.nodeId === 'b'),
    false,
  );
  ready.add('c');
  clock.t = 10_000_000;
  assert.deepEqual(await reg.assign('d'), { kind: 'server' });
  assert.equal((await reg.ledger()).entries.find((e) => e.nodeId === 'c')?.state, 'ready');
  // The release window of a grant loaded from disk starts when the registrar starts (reads it).
  const restarted = make();
  assert.equal((await restarted.assign('e')).kind, 'wait');
  clock.t = 10_000_000 + 59_999;
  assert.equal((await restarted.assign('e')).kind, 'wait');
  clock.t = 10_000_000 + 60_000;
  assert.deepEqual(await restarted.assign('e'), { kind: 'server' });
});

test('a ledger that is not one is E_STATE_CORRUPT, never reset', async () => {
  const { dataDir, make } = await setup();
  const file = joinLedgerFile(dataDir);
  for (const bad of [
    'not json',
    '{"version": 2, "nextSeq": 2, "entries": []}',
    '{"version": 1, "nextSeq": 2, "entries": [{"nodeId": "a", "role": "server", "seq": 1}]}',
    '{"version": 1, "nextSeq": 2, "entries": [{"nodeId": "a", "role": "agent", "seq": 5}]}',
    '{"version": 1, "nextSeq": 9, "entries": [{"nodeId": "a", "role": "agent", "seq": 1},' +
      '{"nodeId": "a", "role": "agent", "seq": 2}]}',
  ]) {
    await writeFile(file, bad);
    await assert.rejects(make().assign('b'), { code: 'E_STATE_CORRUPT' }, bad);
    assert.equal(await readFile(file, 'utf8'), bad, 'left as it was');
  }
});

test('a ledger that cannot be read grants nothing', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-ledger-'));
  await writeFile(path.join(dir, 'file'), '');
  const { make } = await setup({ dataDir: path.join(dir, 'file', 'data') });
  await assert.rejects(make().assign('b'), { code: 'E_STATE_READ' });
});

test('a server that is not the registrar sends every joiner to the registrar', async () => {
  assert.deepEqual(await askRegistrar('seed').assign('b'), { kind: 'ask', registrarNodeId: 'seed' });
});
