import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseAfter, retryUntilDone } from '../../../src/agent/retry.js';

test('retries with growing pauses until the work succeeds, telling of each failure', async () => {
  let calls = 0;
  const failures: [string, number, number][] = [];
  const t0 = performance.now();
  const r = await retryUntilDone(
    async () => {
      if (++calls < 3) throw new Error(`fail ${calls}`);
      return 'ok';
    },
    {
      signal: new AbortController().signal,
      pauses: [20, 40],
      onFailure: (e, attempt, pause) => failures.push([(e as Error).message, attempt, pause]),
    },
  );
  assert.equal(r, 'ok');
  assert.deepEqual(failures, [
    ['fail 1', 1, 20],
    ['fail 2', 2, 40],
  ]);
  assert.ok(performance.now() - t0 >= 55, 'it paused between attempts');
});

test('an abort ends the waiting at once and gives undefined', async () => {
  const abort = new AbortController();
  const t0 = performance.now();
  setTimeout(() => abort.abort(), 30);
  const r = await retryUntilDone(
    async () => {
      throw new Error('never');
    },
    { signal: abort.signal, pauses: [10_000], onFailure: () => {} },
  );
  assert.equal(r, undefined);
  assert.ok(performance.now() - t0 < 2000);
});

test('pauses stay at the last one', () => {
  assert.deepEqual(
    [1, 2, 3, 9].map((a) => pauseAfter(a, [1, 5, 7])),
    [1, 5, 7, 7],
  );
});
