import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkSequence,
  defineStep,
  readProgress,
  runSteps,
  StepFailedError,
  type AnyStep,
} from '../../../src/node/steps.js';
import { NucmeshError } from '../../../src/errors.js';
import { hostnameStep } from '../../../src/firstboot/host-steps.js';
import { createLogger } from '../../../src/log.js';
import type { BootContext } from '../../../src/firstboot/boot-steps.js';

interface Ctx {
  ran: string[];
  failOn?: string;
  serial?: string;
  nodeId?: string;
}

const step = defineStep<Ctx>();

function plain(name: string, kind: 'once' | 'always' = 'once'): AnyStep<Ctx> {
  return step({
    name,
    kind,
    needs: [],
    provides: [],
    async run(ctx) {
      ctx.ran.push(name);
      if (ctx.failOn === name) throw new NucmeshError('E_STATE_READ', `${name} broke`);
      return {};
    },
  });
}

const sequence = [plain('identity'), plain('hostname'), plain('inventory', 'always'), plain('k3s')];
const tmp = () => mkdtemp(path.join(tmpdir(), 'nucmesh-steps-'));

test('a second start skips once-steps that completed and reruns always-steps', async () => {
  const dir = await tmp();
  const first: Ctx = { ran: [] };
  await runSteps(dir, sequence, first);
  assert.deepEqual(first.ran, ['identity', 'hostname', 'inventory', 'k3s']);
  const second: Ctx = { ran: [] };
  const skipped: [string, string][] = [];
  await runSteps(dir, sequence, second, { onSkip: (n, why) => skipped.push([n, why]) });
  assert.deepEqual(second.ran, ['inventory']);
  assert.deepEqual(skipped, [
    ['identity', 'already done'],
    ['hostname', 'already done'],
    ['k3s', 'already done'],
  ]);
});

test('a failed step stops the sequence, is recorded with its code and message; the next start resumes there', async () => {
  const dir = await tmp();
  const crash: Ctx = { ran: [], failOn: 'hostname' };
  await assert.rejects(
    runSteps(dir, sequence, crash),
    (e: unknown) => e instanceof StepFailedError && e.code === 'E_STEP_FAILED' && e.data['step'] === 'hostname',
  );
  assert.deepEqual(crash.ran, ['identity', 'hostname']);
  const p = await readProgress(dir);
  assert.equal(p.steps['identity']?.status, 'done');
  assert.deepEqual(p.steps['hostname']?.error, { code: 'E_STATE_READ', message: 'hostname broke' });
  assert.equal(p.steps['hostname']?.status, 'failed');
  assert.equal(p.steps['hostname']?.attempts, 1);

  const resume: Ctx = { ran: [] };
  const started: [string, number][] = [];
  await runSteps(dir, sequence, resume, { onStart: (n, a) => started.push([n, a]) });
  assert.deepEqual(resume.ran, ['hostname', 'inventory', 'k3s']);
  assert.deepEqual(started[0], ['hostname', 2]);
  const after = (await readProgress(dir)).steps['hostname'];
  assert.equal(after?.status, 'done');
  assert.equal(after?.attempts, 2);
  assert.equal(after?.error, undefined);
  assert.ok(after?.startedAt && after.endedAt && typeof after.ms === 'number');
});

test('a process killed mid-step (a version 1 file: recorded as started, not done) reruns that step', async () => {
  const dir = await tmp();
  await writeFile(
    path.join(dir, 'progress.json'),
    JSON.stringify({ version: 1, steps: { identity: { doneAt: 'x', attempts: 1 } }, attempts: { hostname: 1 } }),
  );
  const ctx: Ctx = { ran: [] };
  const started: [string, number][] = [];
  await runSteps(dir, sequence, ctx, { onStart: (n, a) => started.push([n, a]) });
  assert.deepEqual(ctx.ran, ['hostname', 'inventory', 'k3s']);
  assert.deepEqual(started[0], ['hostname', 2], 'the interrupted attempt counts');
});

test('what a step provides reaches the steps that need it; a done once-step loads it back on a later start', async () => {
  const dir = await tmp();
  let derived = 0;
  const serial = step({
    name: 'serial',
    kind: 'always',
    needs: [],
    provides: ['serial'],
    run: async () => ({ serial: 'BTTN1' }),
  });
  let stored: string | undefined;
  const identity = step({
    name: 'identity',
    kind: 'once',
    needs: ['serial'],
    provides: ['nodeId'],
    async run(ctx) {
      derived++;
      stored = `id-of-${ctx.serial}`;
      return { nodeId: stored };
    },
    load: async () => (stored ? { nodeId: stored } : undefined),
  });
  const seen: string[] = [];
  const use = step({
    name: 'use',
    kind: 'always',
    needs: ['nodeId'],
    provides: [],
    run: async (ctx) => (seen.push(ctx.nodeId), {}),
  });
  const seq = [serial, identity, use];
  await runSteps(dir, seq, { ran: [] });
  await runSteps(dir, seq, { ran: [] });
  assert.equal(derived, 1, 'derived once');
  assert.deepEqual(seen, ['id-of-BTTN1', 'id-of-BTTN1'], 'the second start loaded it');
  // Its persisted output gone (a wiped file): the step runs again instead of leaving a hole.
  stored = undefined;
  await runSteps(dir, seq, { ran: [] });
  assert.equal(derived, 2);
});

test('a sequence whose step needs what no earlier step provides is refused before anything runs', async () => {
  const needsId = step({ name: 'label', kind: 'always', needs: ['nodeId'], provides: [], run: async () => ({}) });
  const givesId = step({
    name: 'identity',
    kind: 'once',
    needs: [],
    provides: ['nodeId'],
    run: async () => ({ nodeId: 'x' }),
  });
  assert.throws(
    () => checkSequence([needsId, givesId], { ran: [] }),
    /boot step 'label' needs nodeId, which no earlier step provides/,
  );
  assert.doesNotThrow(() => checkSequence([givesId, needsId], { ran: [] }));
  assert.doesNotThrow(
    () => checkSequence([needsId], { ran: [], nodeId: 'given' }),
    'a need already in the context is fine',
  );
  const dir = await tmp();
  const ctx: Ctx = { ran: [] };
  await assert.rejects(runSteps(dir, [plain('first'), needsId, givesId], ctx), /E_STEP_ORDER|needs nodeId/);
  assert.deepEqual(ctx.ran, [], 'nothing ran');
});

test('hostname: skipped without --apply-host (recorded so), and set by a later start that has it', async () => {
  const dir = await tmp();
  const set: string[] = [];
  const identity = {
    nodeId: 'a'.repeat(32),
    hostname: 'nuc-aaaaaaaa',
    source: 'system-serial',
  } as unknown as NonNullable<BootContext['identity']>;
  const ctx = (applyHost: boolean): BootContext => ({
    options: { applyHost },
    log: createLogger({ level: 'silent', format: 'json' }),
    dataDir: dir,
    identity,
    setHostname: async (n) => void set.push(n),
  });
  const skipped: string[] = [];
  await runSteps(dir, [hostnameStep], ctx(false), { onSkip: (_n, why) => skipped.push(why) });
  assert.deepEqual(set, []);
  assert.match(skipped[0] ?? '', /only with --apply-host/);
  const rec = (await readProgress(dir)).steps['hostname'];
  assert.equal(rec?.status, 'skipped');
  assert.match(rec?.reason ?? '', /--apply-host/);
  await runSteps(dir, [hostnameStep], ctx(true));
  assert.deepEqual(set, ['nuc-aaaaaaaa'], 'the later start with --apply-host set the hostname');
  assert.equal((await readProgress(dir)).steps['hostname']?.status, 'done');
  await runSteps(dir, [hostnameStep], ctx(true));
  assert.deepEqual(set, ['nuc-aaaaaaaa'], 'and only once');
});

test('a corrupt progress file is a clear error naming the file', async () => {
  const dir = await tmp();
  await writeFile(path.join(dir, 'progress.json'), '{"version": 1, "steps": {');
  await assert.rejects(
    runSteps(dir, sequence, { ran: [] }),
    (e: unknown) => (e as { code?: string }).code === 'E_STATE_CORRUPT' && /progress\.json/.test((e as Error).message),
  );
});
