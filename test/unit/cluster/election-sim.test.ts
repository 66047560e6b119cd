/**
 * The seed election on a simulated LAN (test/helpers/election-sim.ts): the real ElectionRunner
 * and PeerTable, virtual time, seeded. A failing trial prints its seed: replay it with
 * `simulateElection(randomTrial(seed))` and read `log`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomTrial, simulateElection, type SimParams, type SimResult } from '../../helpers/election-sim.js';

const TRIALS = 200;
/**
 * The bounds this election is held to (README, "Seed election"). `settledAt` is the last early
 * boot, the end of a partition, or a crash + 35 s (10 s liveness detection, 10 s lost grace,
 * 15 s before a join of a cluster that never came up is given up), whichever is last; for
 * the last node to decide, the end of one-way deafness too (a node that hears no server cannot
 * join one; the seed itself is decided in time either way). Within it: formingSeconds (5) +
 * claimHoldSeconds (4) + a few rounds of lost adverts (resent every 2 s) or lost query answers
 * (queries every 8 s).
 */
const DECIDED_WITHIN_MS = 30_000;
/** From the last decision to the last node joined: cluster-init ≤ 30 s, then servers one by one. */
const JOINED_WITHIN_MS = 90_000;
/**
 * A node booting next to a running cluster decides on the first advert of a server it hears: at
 * once, unless every answer to its first queries (0, 1, 3, 7, 15, 23, 31 s) was lost.
 */
const LATE_DECIDED_WITHIN_MS = 32_000;
/** ... and typically within a tick of its first query. */
const LATE_DECIDED_MEDIAN_MS = 1000;

/**
 * How long each late node took to decide, from its boot or, when it booted before the others
 * had decided (seeds kept dying), from their last decision.
 */
function lateDecisions(r: SimResult): { id: string; ms: number }[] {
  const lastEarly = Math.max(...r.nodes.filter((n) => n.alive && !n.late).map((n) => n.decidedAt ?? Infinity));
  return r.nodes
    .filter((n) => n.alive && n.late)
    .map((n) => ({ id: n.id, ms: (n.decidedAt ?? Infinity) - Math.max(n.bootAt, lastEarly) }));
}

function problems(r: SimResult): string[] {
  const out: string[] = [];
  const alive = r.nodes.filter((n) => n.alive);
  const clusters = new Set(alive.map((n) => n.clusterId));
  if (clusters.size !== 1 || clusters.has('')) out.push(`alive nodes in clusters ${JSON.stringify([...clusters])}`);
  const conflicted = alive.filter((n) => n.conflict);
  if (conflicted.length > 0) out.push(`${conflicted.length} nodes report a conflict`);
  const servers = alive.filter((n) => n.role === 'server').length;
  const want = Math.min(r.params.servers, alive.length);
  if (servers !== want) out.push(`${servers} servers, expected ${want}`);
  const early = alive.filter((n) => !n.late);
  // The election itself: the seed of the cluster commits in time, one-way deafness or not.
  const seededAt = r.seededAt[[...clusters][0] ?? ''] ?? Infinity;
  if (seededAt - r.settledAt > DECIDED_WITHIN_MS)
    out.push(`seeded ${((seededAt - r.settledAt) / 1000).toFixed(1)} s after settling`);
  // A node deaf to every server of the cluster decides to join once it hears one.
  const heard = Math.max(r.settledAt, r.params.deafUntilMs ?? 0);
  const lastDecided = Math.max(...early.map((n) => n.decidedAt ?? Infinity));
  if (lastDecided - heard > DECIDED_WITHIN_MS)
    out.push(`decided ${((lastDecided - heard) / 1000).toFixed(1)} s after settling`);
  const lastJoined = Math.max(...early.map((n) => n.joinedAt ?? Infinity));
  if (lastJoined - lastDecided > JOINED_WITHIN_MS)
    out.push(`joined ${((lastJoined - lastDecided) / 1000).toFixed(1)} s after the last decision`);
  for (const { id, ms } of lateDecisions(r))
    if (ms > LATE_DECIDED_WITHIN_MS) out.push(`late node ${id} decided ${(ms / 1000).toFixed(1)} s after boot`);
  return out;
}

const describe = (p: SimParams): string =>
  `${p.nodes} nodes, loss ${(p.loss * 100).toFixed(0)} %, flaps ${p.flapsPerNodeMinute.toFixed(2)}/node/min, ` +
  `crashes ${p.crashes}, late ${p.lateNodes}, servers ${p.servers}${p.quorum ? ', quorum' : ''}` +
  `${p.healAtMs !== undefined ? `, partition until ${(p.healAtMs / 1000).toFixed(0)} s` : ''}`;

test(`${TRIALS} randomized trials: one cluster, exactly min(servers, nodes) servers, all joined in bounds`, () => {
  const failures: string[] = [];
  const seen = { crashed: 0, flapped: 0, partitioned: 0, late: 0, quorum: 0, big: 0, lossy: 0 };
  const late: number[] = [];
  for (let seed = 1; seed <= TRIALS; seed++) {
    const params = randomTrial(seed);
    const r = simulateElection(params);
    const p = problems(r);
    if (p.length > 0) failures.push(`seed ${seed} (${describe(params)}): ${p.join('; ')}`);
    late.push(...lateDecisions(r).map((l) => l.ms));
    if (r.log.some((l) => l.includes('crashes'))) seen.crashed++;
    if (r.log.some((l) => l.includes('flaps'))) seen.flapped++;
    if (params.healAtMs !== undefined) seen.partitioned++;
    if (params.lateNodes > 0) seen.late++;
    if (params.quorum) seen.quorum++;
    if (params.nodes >= 40) seen.big++;
    if (params.loss >= 0.1) seen.lossy++;
  }
  assert.deepEqual(failures, [], 'replay a trial with simulateElection(randomTrial(seed)) and read its log');
  late.sort((a, b) => a - b);
  const median = late[Math.floor(late.length / 2)] ?? Infinity;
  assert.ok(median <= LATE_DECIDED_MEDIAN_MS, `late nodes decided ${median} ms after boot (median)`);
  // The trials do cover what they are for.
  for (const [what, count] of Object.entries(seen)) assert.ok(count >= 15, `only ${count} trials ${what}`);
});

const base: SimParams = {
  seed: 1,
  nodes: 10,
  bootSpreadMs: 5000,
  loss: 0.1,
  flapsPerNodeMinute: 0,
  crashes: 0,
  lateNodes: 0,
  servers: 3,
  quorum: false,
  preferred: 0,
  formingSeconds: 5,
  claimHoldSeconds: 4,
};

test('a partition during formation without expectedNodes: two clusters, and every node reports both', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const r = simulateElection({ ...base, seed, healAtMs: 60_000, runUntilMs: 120_000 });
    const ids = new Set(r.nodes.map((n) => n.clusterId));
    assert.equal(ids.size, 2, `seed ${seed}: each side seeded`);
    for (const n of r.nodes) {
      const named = new Set(n.conflict?.map((c) => c.clusterId));
      assert.deepEqual(named, ids, `seed ${seed}: ${n.id} names both clusters`);
      const sizes = Object.fromEntries(n.conflict?.map((c) => [c.clusterId, c.size]) ?? []);
      for (const id of ids)
        assert.equal(sizes[id], r.nodes.filter((m) => m.clusterId === id).length, `seed ${seed}: size of ${id}`);
      assert.ok(n.role, 'nothing is wiped: each node keeps its role');
    }
  }
});

test('with expectedNodes, a partitioned minority waits instead of seeding, and joins once healed', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const healAtMs = 60_000;
    const r = simulateElection({ ...base, seed, quorum: true, healAtMs });
    assert.deepEqual(problems(r), [], `seed ${seed}`);
    const decidedBeforeHeal = r.nodes.filter((n) => (n.decidedAt ?? Infinity) < healAtMs).length;
    // Only a side with a majority decides before the heal; it is the whole cluster's seed side.
    assert.ok(decidedBeforeHeal === 0 || decidedBeforeHeal >= 6, `seed ${seed}: ${decidedBeforeHeal} decided early`);
  }
});

test('a late node that preferredServers ranks first joins the running cluster and never seeds', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const r = simulateElection({ ...base, seed, lateNodes: 2, preferred: 2, preferLateNodes: true });
    assert.deepEqual(problems(r), [], `seed ${seed}`);
    assert.equal(r.seeded.length, 1, `seed ${seed}: one seed`);
    for (const n of r.nodes.filter((x) => x.late)) assert.notEqual(r.seeded[0]?.endsWith(n.id), true);
  }
});

test('flaps at four times the rate of a starved 50-node lab, with 20 % loss, split nothing', () => {
  for (let seed = 1; seed <= 3; seed++) {
    const r = simulateElection({ ...base, seed, nodes: 50, loss: 0.2, flapsPerNodeMinute: 2, bootSpreadMs: 0 });
    const ids = new Set(r.nodes.map((n) => n.clusterId));
    assert.equal(ids.size, 1, `seed ${seed}: ${JSON.stringify([...ids])}`);
    assert.equal(r.seeded.length, 1, `seed ${seed}: seeded ${JSON.stringify(r.seeded)}`);
  }
});

test('a best-ranked node that nobody hears is not backed: the next one seeds alone, and it joins', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const r = simulateElection({ ...base, seed, loss: 0, nobodyHearsBest: true, deafUntilMs: 60_000 });
    assert.equal(r.seeded.length, 1, `seed ${seed}: seeded ${JSON.stringify(r.seeded)}`);
    assert.deepEqual(problems(r), [], `seed ${seed}`);
  }
});

test('the same seed replays the same trial', () => {
  const a = simulateElection(randomTrial(42));
  const b = simulateElection(randomTrial(42));
  assert.deepEqual(a.log, b.log);
});
