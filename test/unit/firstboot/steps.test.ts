import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readProgress, runSteps, StepFailedError, type Step } from '../../../src/firstboot/steps.js';

interface Ctx {
  ran: string[];
  failOn?: string;
}

function step(name: string, kind: 'once' | 'always' = 'once'): Step<Ctx> {
  return {
    name,
    kind,
    async run(ctx) {
      ctx.ran.push(name);
      if (ctx.failOn === name) throw new Error(`${name} broke`);
    },
  };
}

const sequence = [step('identity'), step('hostname'), step('inventory', 'always'), step('k3s')];

test('a second start skips once-steps that completed and reruns always-steps', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-steps-'));
  const first: Ctx = { ran: [] };
  await runSteps(dir, sequence, first);
  assert.deepEqual(first.ran, ['identity', 'hostname', 'inventory', 'k3s']);
  const second: Ctx = { ran: [] };
  const skipped: string[] = [];
  await runSteps(dir, sequence, second, { onSkip: (n) => skipped.push(n) });
  assert.deepEqual(second.ran, ['inventory']);
  assert.deepEqual(skipped, ['identity', 'hostname', 'k3s']);
});

test('a failed step stops the sequence; the next start resumes at that step, counting attempts', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-steps-'));
  const crash: Ctx = { ran: [], failOn: 'hostname' };
  await assert.rejects(runSteps(dir, sequence, crash), (e: unknown) => e instanceof StepFailedError && e.code === 'E_STEP_FAILED' && e.data['step'] === 'hostname');
  assert.deepEqual(crash.ran, ['identity', 'hostname']);
  const p = await readProgress(dir);
  assert.ok(p.steps['identity']);
  assert.equal(p.steps['hostname'], undefined);
  assert.equal(p.attempts['hostname'], 1);

  const resume: Ctx = { ran: [] };
  const started: [string, number][] = [];
  await runSteps(dir, sequence, resume, { onStart: (n, a) => started.push([n, a]) });
  assert.deepEqual(resume.ran, ['hostname', 'inventory', 'k3s']);
  assert.deepEqual(started[0], ['hostname', 2]);
  assert.equal((await readProgress(dir)).steps['hostname']?.attempts, 2);
});

test('a process killed mid-step (progress recorded as started, not done) reruns that step', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-steps-'));
  await writeFile(path.join(dir, 'progress.json'), JSON.stringify({ version: 1, steps: { identity: { doneAt: 'x', attempts: 1 } }, attempts: { hostname: 1 } }));
  const ctx: Ctx = { ran: [] };
  await runSteps(dir, sequence, ctx);
  assert.deepEqual(ctx.ran, ['hostname', 'inventory', 'k3s']);
});

test('a corrupt progress file is a clear error naming the file', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-steps-'));
  await writeFile(path.join(dir, 'progress.json'), '{"version": 1, "steps": {');
  await assert.rejects(runSteps(dir, sequence, { ran: [] }), (e: unknown) => (e as { code?: string }).code === 'E_STATE_CORRUPT' && /progress\.json/.test((e as Error).message));
});
