/**
 * The seed election: which node of a fresh fleet runs `k3s server --cluster-init`, as a pure
 * function of what the node sees now (its verified peers' adverts) and of how long it has been
 * at it (its own monotonic clock; no wall clocks: a new NUC's clock may be far off).
 * election-runner.ts drives it over time; the reasoning behind the rules is here.
 *
 * What a node advertises while the election runs: its state (`forming`, then `claiming` when it
 * claims to be the seed) and `sup`, the node it supports as seed (the best-ranked forming or
 * claiming node it sees, itself included).
 *
 * Rank (the same on every node, from data every node has alike): the index in the fleet
 * config's `preferredServers` (listed nodes first, in that order), then node ID ascending.
 *
 * Rules, in order:
 * 1. Conflict. Two clusters in view (our own counted, when we have one; another only when one of
 *    its members is up: seeding, server or agent) is a partition healed too late, or a cluster
 *    brought over from elsewhere: `conflict`, naming each cluster and how many of its nodes we
 *    see. Nothing is wiped; a person decides.
 * 2. A committed seed stays the seed (it may have run cluster-init; k3s clusters never merge).
 * 3. Join before seed. Any peer with a cluster ID (seeding, joining, server, agent, conflict)
 *    means a cluster exists: join it via its servers (`seeding` and `server` peers, best-ranked
 *    first), at once, whatever the forming window says (late and reinstalled nodes). When none
 *    of its servers is in view, wait (never seed): `no-server` when some member is up (agent),
 *    `cluster-not-up` when every member is still joining (the runner lets a joiner of such a
 *    cluster give it up: its seed died before the cluster came up).
 * 4. A peer in `seeding` without a cluster ID has committed: support it and wait.
 * 5. Support the best-ranked candidate: forming or claiming peers in view, and nodes we do not
 *    see at all that one of those supports directly (one-way loss: a host dropping one peer's
 *    packets must not hide the best candidate; such support is advertised as indirect, `si`,
 *    and never passed on, so a dead candidate is forgotten once those who saw it drop it).
 *    Not the best: wait.
 * 6. The best waits out its forming window (`formingSeconds`, so that it hears the fleet and an
 *    existing cluster first) and, with `expectedNodes: N`, until floor(N/2)+1 nodes (itself
 *    included) are in view: a partitioned minority waits instead of splitting.
 * 7. Then it claims. The claim is `backed` while every live candidate in view supports it. It
 *    becomes the seed when it has been backed without a break for `claimHoldSeconds`
 *    (`claimHeldForMs`, kept by the runner; any break restarts it).
 *
 * Why this gives one seed among nodes that hear each other: a claimant needs the support of every
 * candidate it sees, and a node supports only one candidate, the best it sees. Two claimants
 * that see each other cannot both be backed (each supports itself, so neither supports the
 * other) and the worse one backs off at once (rule 5). If B does not see A but C sees both, C
 * supports A, so B supports A indirectly and does not claim. If nobody B sees supports A, B
 * may claim, but A, hearing B support B, is not backed (the simulation checks that the backing
 * rule is what prevents two seeds there). Two seeds need two groups that do not hear each other
 * for a whole hold: a partition, which `expectedNodes` guards; the cases left (a partition
 * starting in the last moments of a hold without `expectedNodes`) end in a reported conflict.
 *
 * Peer-table flaps (a starved peer dropped as down and back seconds later) must not move the
 * support: the runner keeps a peer that disappeared in view as `lost` for a grace time. A lost
 * peer still ranks (it blocks worse claims and keeps our support) and still shows its cluster,
 * but it never backs a claim, counts toward the quorum or is offered as a join target first:
 * only what is heard now can make us seed. A supporter that disappears mid-hold does not break
 * the hold (its last word was support, and flaps would otherwise starve every claim); if it had
 * switched to another candidate, that candidate's own claim needs our support, which we do not
 * give while we see ourselves as better.
 *
 * Bounds (defaults: formingSeconds 5, claimHoldSeconds 4, lost grace 10 s, join revoke 15 s,
 * adverts resent every 2 s while electing, queries every 8 s), checked by
 * test/unit/cluster/election-sim.test.ts on a simulated LAN: nodes booted together decide within
 * formingSeconds + claimHoldSeconds + an advert round (9.5 s without loss), and every node
 * within 30 s of the fleet settling (last boot, end of a partition); a node booting next to a
 * running cluster decides on the first server advert it hears (median ≤ 1 s); a claimant that
 * dies is replaced within liveness detection (≤ 10 s) + grace (10 s) + 30 s, a seed that dies
 * before its cluster is up within detection + grace + revoke (15 s) + 30 s.
 */
import type { NodeStateName } from '../node/node-state.js';

export interface ElectionPeer {
  nodeId: string;
  state: NodeStateName;
  /** Empty unless the peer belongs to (or is joining) a cluster. */
  clusterId: string;
  supports?: string;
  /** It does not see `supports` itself (advert `si`): such support backs a claim but names no one new. */
  supportsIndirect?: boolean;
  /** Gone from the peer table less than the runner's grace time ago: its last advert. */
  lost?: boolean;
}

export interface ElectionConfig {
  preferredServers: readonly string[];
  expectedNodes?: number;
  formingSeconds: number;
  claimHoldSeconds?: number;
  /** Control-plane servers the cluster grows to (the registrar's business, kept for the runner's callers). */
  servers: number;
}

export interface ElectionInput {
  self: {
    nodeId: string;
    /** '' unless we already belong to a cluster (persisted). */
    clusterId: string;
    /** We already decided to seed (persisted): final. */
    committed: boolean;
  };
  /** Verified peers of our fleet, now (and, from the runner, recently lost ones). */
  peers: readonly ElectionPeer[];
  /** Monotonic ms since we started forming, by our own clock. */
  formingForMs: number;
  /** How long our claim has been backed without a break; undefined when it is not. */
  claimHeldForMs?: number;
  config: ElectionConfig;
}

export type WaitReason =
  'forming-window' | 'quorum' | 'better-candidate' | 'seed-committed' | 'no-server' | 'cluster-not-up';

export interface ClusterSize {
  clusterId: string;
  /** Nodes of that cluster in view (ourselves included when we belong to it). */
  size: number;
}

export type Decision =
  /**
   * `supports`: the node we support as seed ('' when a cluster is in view: nobody); `indirect`
   * when we do not see it ourselves (advertise `si`).
   */
  | { kind: 'wait'; reason: WaitReason; supports: string; indirect?: boolean }
  /** `backed`: every live candidate in view supports us (the hold runs). */
  | { kind: 'claim'; supports: string; backed: boolean }
  | { kind: 'seed' }
  | { kind: 'join'; clusterId: string; via: string[] }
  | { kind: 'conflict'; clusters: ClusterSize[] };

export const DEFAULT_CLAIM_HOLD_SECONDS = 4;

/** States of a node that takes part in the election as a possible seed. */
const CANDIDATE_STATES: readonly NodeStateName[] = ['forming', 'claiming'];
/** States of a cluster member through which others can join. */
const SERVER_STATES: readonly NodeStateName[] = ['seeding', 'server'];
/** States of a cluster member that shows the cluster is (being) brought up. */
const UP_STATES: readonly NodeStateName[] = ['seeding', 'server', 'agent'];

/** Orders node IDs by election rank, best first: preferredServers order, then node ID. */
export function compareRank(preferred: readonly string[]): (a: string, b: string) => number {
  const place = (id: string): number => {
    const i = preferred.indexOf(id);
    return i < 0 ? preferred.length : i;
  };
  return (a, b) => place(a) - place(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The number of nodes that is a majority of `expected`. */
export function majorityOf(expected: number): number {
  return Math.floor(expected / 2) + 1;
}

/** Orders clusters biggest first, then by cluster ID. */
export function bySize(a: ClusterSize, b: ClusterSize): number {
  return b.size - a.size || (a.clusterId < b.clusterId ? -1 : a.clusterId > b.clusterId ? 1 : 0);
}

/** Nodes in view per cluster ID, ourselves included; biggest first, then by ID. */
export function clustersInView(self: ElectionInput['self'], peers: readonly ElectionPeer[]): ClusterSize[] {
  const sizes = new Map<string, number>();
  if (self.clusterId !== '') sizes.set(self.clusterId, 1);
  for (const p of peers) if (p.clusterId !== '') sizes.set(p.clusterId, (sizes.get(p.clusterId) ?? 0) + 1);
  return [...sizes].map(([clusterId, size]) => ({ clusterId, size })).sort(bySize);
}

function joinCluster(input: ElectionInput, clusterId: string): Decision {
  const rank = compareRank(input.config.preferredServers);
  const members = input.peers.filter((p) => p.clusterId === clusterId);
  const servers = members.filter((p) => SERVER_STATES.includes(p.state));
  const ranked = (list: ElectionPeer[]): string[] => list.map((p) => p.nodeId).sort(rank);
  // Live servers first: a lost one may be gone for good.
  const via = [...ranked(servers.filter((p) => !p.lost)), ...ranked(servers.filter((p) => p.lost))];
  if (via.length > 0) return { kind: 'join', clusterId, via };
  const up = members.some((p) => UP_STATES.includes(p.state));
  return { kind: 'wait', reason: up ? 'no-server' : 'cluster-not-up', supports: '' };
}

export function decide(input: ElectionInput): Decision {
  const { self, peers, config } = input;
  const clusters = clustersInView(self, peers);
  // A cluster none of whose members in view is up (all joining: its seed died) is no conflict.
  const real = clusters.filter(
    (c) =>
      c.clusterId === self.clusterId || peers.some((p) => p.clusterId === c.clusterId && UP_STATES.includes(p.state)),
  );
  if (real.length >= 2) return { kind: 'conflict', clusters: real };
  if (self.committed) return { kind: 'seed' };
  const cluster = real[0] ?? clusters[0];
  if (cluster) return joinCluster(input, cluster.clusterId);

  const rank = compareRank(config.preferredServers);
  const committed = peers.filter((p) => p.state === 'seeding').map((p) => p.nodeId);
  const [seed] = committed.sort(rank);
  if (seed !== undefined) return { kind: 'wait', reason: 'seed-committed', supports: seed };

  const candidates = peers.filter((p) => CANDIDATE_STATES.includes(p.state));
  // Nodes we do not see at all that a candidate we see supports directly: one-way loss (a host
  // dropping a peer's packets) must not hide the best candidate. Indirect support is not passed
  // on, so a dead candidate is forgotten once those who saw it have dropped it.
  const known = new Set([self.nodeId, ...peers.map((p) => p.nodeId)]);
  const heardOf = candidates
    .filter((p) => p.supports !== undefined && !p.supportsIndirect && !known.has(p.supports))
    .map((p) => p.supports as string);
  const [best = self.nodeId] = [self.nodeId, ...candidates.map((p) => p.nodeId), ...heardOf].sort(rank);
  if (best !== self.nodeId)
    return known.has(best)
      ? { kind: 'wait', reason: 'better-candidate', supports: best }
      : { kind: 'wait', reason: 'better-candidate', supports: best, indirect: true };
  const supports = self.nodeId;
  if (input.formingForMs < config.formingSeconds * 1000) return { kind: 'wait', reason: 'forming-window', supports };
  const inView = 1 + peers.filter((p) => !p.lost).length;
  if (config.expectedNodes !== undefined && inView < majorityOf(config.expectedNodes))
    return { kind: 'wait', reason: 'quorum', supports };

  const backed = candidates.every((p) => p.lost || p.supports === self.nodeId);
  const holdMs = (config.claimHoldSeconds ?? DEFAULT_CLAIM_HOLD_SECONDS) * 1000;
  if (backed && input.claimHeldForMs !== undefined && input.claimHeldForMs >= holdMs) return { kind: 'seed' };
  return { kind: 'claim', supports, backed };
}
