import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ElectionPeer } from '../../../src/cluster/election.js';
import {
  ElectionRunner,
  LOST_GRACE_MS,
  REVOKE_AFTER_MS,
  type ElectionOutcome,
} from '../../../src/cluster/election-runner.js';

const config = { preferredServers: [], formingSeconds: 5, claimHoldSeconds: 4, servers: 3 };

/** A runner for node `b` on a manual clock, with a peer list the test edits. */
function harness(self = { nodeId: 'b', clusterId: '', committed: false }) {
  let t = 1000;
  let peers: ElectionPeer[] = [];
  const outcomes: ElectionOutcome[] = [];
  const runner = new ElectionRunner({
    self,
    config,
    now: () => t,
    peers: () => peers,
    newClusterId: () => 'k-new',
    onOutcome: (o) => outcomes.push(o),
  });
  /** Advance the clock in ticks of 250 ms. */
  const run = (ms: number): void => {
    for (let end = t + ms; t < end; t += 250) runner.tick();
  };
  return { runner, outcomes, run, set: (p: ElectionPeer[]) => void (peers = p) };
}

const forming = (nodeId: string, supports: string): ElectionPeer => ({
  nodeId,
  state: 'forming',
  clusterId: '',
  supports,
});

test('forming, then claiming, then seeding after the window and an unbroken hold', () => {
  const h = harness();
  h.set([forming('c', 'b')]);
  h.run(4000);
  assert.deepEqual(h.runner.advert(), { state: 'forming', clusterId: '', supports: 'b' });
  h.run(2000);
  assert.deepEqual(h.runner.advert(), { state: 'claiming', clusterId: '', supports: 'b' });
  // A supporter that switches away breaks the hold; it starts again once it is back.
  h.set([forming('c', 'd'), forming('d', 'd')]);
  h.run(1000);
  h.set([forming('c', 'b')]);
  h.run(3500);
  assert.deepEqual(h.outcomes, []);
  h.run(1000);
  assert.deepEqual(h.outcomes, [{ kind: 'seed', clusterId: 'k-new' }]);
  assert.deepEqual(h.runner.advert(), { state: 'seeding', clusterId: 'k-new' });
  assert.equal(h.runner.final, true);
  h.run(5000);
  assert.equal(h.outcomes.length, 1, 'seed is reported once');
});

test('a better peer that flaps out of the table keeps our support for the grace time, then loses it', () => {
  const h = harness();
  h.set([forming('a', 'a')]);
  h.run(6000);
  h.set([]);
  h.run(9000);
  assert.deepEqual(h.runner.advert(), { state: 'forming', clusterId: '', supports: 'a' });
  h.set([forming('a', 'a')]);
  h.run(250);
  h.set([]);
  h.run(9750);
  assert.equal(h.runner.advert().state, 'forming', 'back within the grace: the grace starts again');
  h.run(500);
  assert.equal(h.runner.advert().state, 'claiming');
});

test('a join is revoked when its cluster never comes up, and becomes final with joined()', () => {
  const h = harness();
  const seed: ElectionPeer = { nodeId: 's', state: 'seeding', clusterId: 'k1' };
  h.set([seed]);
  h.run(250);
  assert.deepEqual(h.outcomes, [{ kind: 'join', clusterId: 'k1', via: ['s'] }]);
  assert.deepEqual(h.runner.advert(), { state: 'joining', clusterId: 'k1' });
  // The seed dies: lost, still joined through for the grace time, then REVOKE_AFTER_MS more.
  h.set([{ nodeId: 'j', state: 'joining', clusterId: 'k1' }]);
  h.run(LOST_GRACE_MS + REVOKE_AFTER_MS - 250);
  assert.equal(h.outcomes.length, 1);
  assert.deepEqual(h.runner.advert(), { state: 'joining', clusterId: 'k1' });
  h.run(500);
  assert.deepEqual(h.outcomes[1], { kind: 'revoked', clusterId: 'k1' });
  assert.deepEqual(h.runner.advert(), { state: 'forming', clusterId: '' });
  // A cluster that is up is joined again, and joined() makes it final.
  h.set([{ nodeId: 's2', state: 'server', clusterId: 'k2' }]);
  h.run(250);
  assert.deepEqual(h.outcomes[2], { kind: 'join', clusterId: 'k2', via: ['s2'] });
  h.runner.joined();
  assert.equal(h.runner.final, true);
  h.set([]);
  h.run(20_000);
  assert.equal(h.outcomes.length, 3, 'a final join is never revoked');
});

test('a conflict stays reported, with the latest sizes, after the other cluster goes out of view', () => {
  const h = harness({ nodeId: 'b', clusterId: 'k1', committed: false });
  const other: ElectionPeer[] = [
    { nodeId: 'x', state: 'server', clusterId: 'k2' },
    { nodeId: 'y', state: 'agent', clusterId: 'k2' },
  ];
  h.set(other);
  h.run(250);
  const clusters = [
    { clusterId: 'k2', size: 2 },
    { clusterId: 'k1', size: 1 },
  ];
  assert.deepEqual(h.outcomes, [{ kind: 'conflict', clusters }]);
  assert.deepEqual(h.runner.advert(), { state: 'conflict', clusterId: 'k1' });
  h.set([]);
  h.run(30_000);
  assert.deepEqual(h.runner.decision, { kind: 'conflict', clusters });
  assert.equal(h.outcomes.length, 1);
});

test('a committed seed (persisted) advertises seeding at once and mints a cluster ID only if it has none', () => {
  const h = harness({ nodeId: 'b', clusterId: 'k9', committed: true });
  h.set([forming('a', 'a')]);
  h.run(250);
  assert.deepEqual(h.runner.advert(), { state: 'seeding', clusterId: 'k9' });
  assert.deepEqual(h.outcomes, []);
});
