import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NucmeshError } from '../../../src/errors.js';
import { NodeState } from '../../../src/node/node-state.js';
import {
  fromPersisted,
  nodeStateFile,
  persistNodeState,
  readPersistedNodeState,
  toPersisted,
  type PersistedNodeState,
} from '../../../src/node/persisted-state.js';

const T = new Date('2026-11-22T12:00:00.000Z');
const tmp = () => mkdtemp(path.join(tmpdir(), 'nucmesh-nodestate-'));

test('toPersisted / fromPersisted: the document form of a snapshot, and back', () => {
  const server = { state: 'server' as const, clusterId: 'c1', k3sPort: 6443 };
  assert.deepEqual(toPersisted(server, T), { version: 1, ...server, updatedAt: '2026-11-22T12:00:00.000Z' });
  assert.deepEqual(fromPersisted(toPersisted(server, T), 'f'), { snapshot: server, updatedAt: T.toISOString() });
  const blocked = { state: 'bad-fleet-config' as const, clusterId: '', detail: '/key: expected 32 bytes of base64' };
  assert.deepEqual(fromPersisted(toPersisted(blocked, T), 'f').snapshot, blocked);
  const keys = Object.keys(toPersisted({ state: 'booting', clusterId: '' }, T)).sort();
  assert.deepEqual(keys, ['clusterId', 'state', 'updatedAt', 'version'], 'no optional field without a value');
});

test('fromPersisted: a document that is not a node state is E_STATE_CORRUPT naming the source and field', () => {
  const good = toPersisted({ state: 'forming', clusterId: '' }, T);
  const cases: [unknown, string][] = [
    [null, '/'],
    [[good], '/'],
    [{ ...good, version: 2 }, '/version'],
    [{ ...good, state: 'king' }, '/state'],
    [{ ...good, clusterId: 'UPPER' }, '/clusterId'],
    [{ ...good, detail: 5 }, '/detail'],
    [{ ...good, k3sPort: 70000 }, '/k3sPort'],
    [{ ...good, updatedAt: 'yesterday' }, '/updatedAt'],
  ];
  for (const [doc, field] of cases) {
    assert.throws(
      () => fromPersisted(doc, '/var/lib/nucmesh/node-state.json'),
      (e: unknown) =>
        e instanceof NucmeshError &&
        e.code === 'E_STATE_CORRUPT' &&
        e.message.startsWith('/var/lib/nucmesh/node-state.json is not a nucmesh node state') &&
        e.message.includes(`${field}: `),
      field,
    );
  }
});

test('a corrupt file on disk is reported with a clear error, not a crash; no file is undefined', async () => {
  const dir = await tmp();
  const file = nodeStateFile(dir);
  assert.equal(await readPersistedNodeState(file), undefined);
  await writeFile(file, '{"version": 1, "state": "ser');
  const corrupt = (e: unknown): boolean =>
    e instanceof NucmeshError && e.code === 'E_STATE_CORRUPT' && e.message.includes(file);
  await assert.rejects(readPersistedNodeState(file), corrupt);
  await writeFile(file, JSON.stringify({ version: 1, state: 'emperor', clusterId: '', updatedAt: T.toISOString() }));
  await assert.rejects(readPersistedNodeState(file), corrupt);
  await assert.rejects(
    readPersistedNodeState(file),
    /node-state\.json is not a nucmesh node state \(\/state: expected a node state, got "emperor"\); move it away/,
  );
});

test('persistNodeState writes the state at once and after every change, in the documented form', async () => {
  const dir = await tmp();
  const file = nodeStateFile(dir);
  const state = new NodeState();
  const errors: unknown[] = [];
  const p = persistNodeState(state, file, { onError: (e) => errors.push(e), now: () => T });
  await p.flushed();
  assert.deepEqual((await readPersistedNodeState(file))?.snapshot, { state: 'booting', clusterId: '' });
  state.set({ state: 'server', clusterId: 'c1', k3sPort: 6443 });
  await p.flushed();
  const text = await readFile(file, 'utf8');
  const doc: unknown = JSON.parse(text);
  assert.deepEqual(doc, { version: 1, state: 'server', clusterId: 'c1', k3sPort: 6443, updatedAt: T.toISOString() });
  assert.deepEqual((await readPersistedNodeState(file))?.snapshot, state.current);
  p.stop();
  state.set({ state: 'failed', detail: 'x' });
  await p.flushed();
  assert.equal((await readPersistedNodeState(file))?.snapshot.state, 'server', 'nothing written after stop');
  assert.deepEqual(errors, []);
});

test('writes never overlap: changes during a write become one write of the latest state', async () => {
  const state = new NodeState();
  const written: PersistedNodeState[] = [];
  let inFlight = 0;
  let release: () => void = () => {};
  const write = async (_f: string, doc: PersistedNodeState): Promise<void> => {
    inFlight++;
    assert.equal(inFlight, 1, 'one write at a time');
    await new Promise<void>((r) => (release = r));
    written.push(doc);
    inFlight--;
  };
  const p = persistNodeState(state, 'unused', { onError: (e) => assert.fail(String(e)), now: () => T, write });
  state.set({ state: 'forming' });
  state.set({ state: 'seeding' });
  state.set({ state: 'server', clusterId: 'c9', k3sPort: 6443 });
  release();
  await new Promise((r) => setImmediate(r));
  release();
  await p.flushed();
  assert.deepEqual(
    written.map((d) => d.state),
    ['booting', 'server'],
  );
  assert.equal(written[1]?.clusterId, 'c9');
});

test('a failed write is reported, never thrown, and the next change writes again', async () => {
  const dir = await tmp();
  // The data dir is a regular file for now: the first write fails.
  const dataDir = path.join(dir, 'data');
  await writeFile(dataDir, '');
  const file = nodeStateFile(dataDir);
  const state = new NodeState();
  const errors: unknown[] = [];
  const p = persistNodeState(state, file, { onError: (e) => errors.push(e) });
  await p.flushed();
  assert.equal(errors.length, 1);
  assert.match((errors[0] as Error).message, /EEXIST|ENOTDIR/);
  await rm(dataDir);
  state.set({ state: 'forming' });
  await p.flushed();
  assert.equal(errors.length, 1);
  assert.equal((await readPersistedNodeState(file))?.snapshot.state, 'forming');
});
