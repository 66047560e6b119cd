import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProbeHistory,
  suspectSelf,
  suspicionProbeAt,
  type ProbeRecord,
} from '../../../src/discovery/self-suspicion.js';

const opts = { windowMs: 8000, minPeers: 2, minShare: 0.5 };

test('one peer timing out again and again is that peer’s problem, not ours', () => {
  const r: ProbeRecord[] = [
    { peer: 'a', outcome: 'unknown', at: 0 },
    { peer: 'b', outcome: 'alive', at: 100 },
    { peer: 'a', outcome: 'unknown', at: 2500 },
    { peer: 'c', outcome: 'alive', at: 2600 },
    { peer: 'a', outcome: 'unknown', at: 5000 },
  ];
  assert.equal(suspectSelf(r, 5000, opts), false);
});

test('timeouts to most of the peers we probe at once mean we are the slow one', () => {
  const r: ProbeRecord[] = [
    { peer: 'a', outcome: 'unknown', at: 0 },
    { peer: 'b', outcome: 'unknown', at: 200 },
    { peer: 'c', outcome: 'alive', at: 300 },
  ];
  assert.equal(suspectSelf(r, 1000, opts), true);
  // Two timeouts among five peers probed are not a majority.
  const more = [
    ...r,
    { peer: 'd', outcome: 'alive' as const, at: 400 },
    { peer: 'e', outcome: 'alive' as const, at: 500 },
  ];
  assert.equal(suspectSelf(more, 1000, opts), false);
});

test('old outcomes fall out of the window, so self-suspicion ends once probes succeed again', () => {
  const h = new ProbeHistory(opts);
  h.record('a', 'unknown', 0);
  h.record('b', 'unknown', 100);
  assert.equal(h.suspectSelf(200), true);
  h.record('a', 'alive', 9000);
  h.record('b', 'alive', 9100);
  assert.equal(h.suspectSelf(9200), false);
});

test('suspicion probes: at most one per cooldown, none while one is pending, spread over the jitter window', () => {
  assert.equal(
    suspicionProbeAt(1000, -Infinity, false, 5000, 1000, () => 0.25),
    1250,
  );
  assert.equal(
    suspicionProbeAt(1000, -Infinity, true, 5000, 1000, () => 0.25),
    undefined,
  );
  assert.equal(
    suspicionProbeAt(4000, 1000, false, 5000, 1000, () => 0.5),
    undefined,
  );
  assert.equal(
    suspicionProbeAt(6000, 1000, false, 5000, 1000, () => 0.5),
    6500,
  );
  // 49 nodes drawing their own moments do not all land in the same 100 ms.
  const times = Array.from({ length: 49 }, () => suspicionProbeAt(0, -Infinity, false, 5000, 1000) as number);
  const buckets = new Set(times.map((t) => Math.floor(t / 100)));
  assert.ok(buckets.size >= 5, `${buckets.size} distinct 100 ms slots`);
  assert.ok(times.every((t) => t >= 0 && t < 1000));
});
