/**
 * A partition (link down at the bridge) makes the peer go down by liveness (timeouts: three
 * in a row, so within 3 + 3 × 2 + 2 × 0.5 = 10 s plus scheduling slack), and healing brings it
 * back up by heartbeat, without a new advert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { logged, tableOf } from './nodes.js';

const fx = labFixture({ fleet: 'split', subnet: '10.65.0' });
const { skip } = fx;

test('partitioned peer goes down within 12 s and comes back when the link heals', { skip }, async () => {
  fx.addHosts(['p1', 'p2']);
  const p1 = fx.startNode('p1');
  fx.startNode('p2');
  await waitFor('p1 to see p2', async () => (await tableOf(p1)).peers.find((p) => p.nodeId === 'p2'), 15_000, 200);
  const since = p1.logs().length;
  const t0 = performance.now();
  fx.lab.partition('p2');
  await logged(p1, /^peer down: nuc-p2 \(liveness\)/, 15_000, since);
  const ms = performance.now() - t0;
  console.log(`# partition detected after ${Math.round(ms)} ms`);
  assert.ok(ms <= 12_000, `took ${Math.round(ms)} ms`);
  fx.lab.partition('p2', 'eth0', false);
  await logged(p1, /^peer up: nuc-p2/, 15_000, since);
  assert.ok((await tableOf(p1)).peers.some((p) => p.nodeId === 'p2'));
});
