/**
 * The seed election on a simulated LAN in virtual time: each node runs the real ElectionRunner
 * over its own real PeerTable, fed the way the discovery service feeds it (signed adverts from
 * the browser, liveness downs, heartbeats bringing peers back). No sockets, no timers: an event
 * queue and a seeded PRNG, so every trial replays from its seed.
 *
 * What is modelled, and how:
 * - Adverts: a change is sent once (as ciao sends a TXT update); while electing (forming,
 *   claiming, seeding, joining) a node sends its advert again every ELECTION_REANNOUNCE_MS. Each
 *   copy is lost per receiver with probability `loss`, else delivered within 1–20 ms.
 * - Browsing: a node queries at 0, 1, 3, 7 s after boot, then every 8 s (RFC 6762 continuous
 *   querying with maxQueryIntervalMs 8 s); by known-answer suppression only the peers it does
 *   not know (live or dormant) answer, each answer lost with `loss`.
 * - Crashes (a seed or claimant dies before its cluster is up): no more packets; every peer's
 *   liveness marks it down 3.5–10 s later.
 * - Flaps (a starved process reported down): every peer that gets the notice drops it; it
 *   refutes with a new generation 1–8 s later; peers that miss that bring it back by a heartbeat
 *   8–20 s later.
 * - Partitions (from the start until `healAtMs`): nothing crosses between the two groups.
 * - Deaf pairs (until `deafUntilMs`): from one node to another nothing gets through, the other
 *   way it does (the kernel of a 50-node lab host dropped packets for lack of neighbour entries).
 * - Joins (the registrar model of issue 10): a joiner asks the best-ranked server in its
 *   decision's `via` every 2 s; a server answers `server` while the cluster has fewer than
 *   `servers` servers and no server join under way, `wait` while one is, else `agent`; k3s then
 *   takes 5–15 s (server) or 3–10 s (agent) and the node advertises its role. The seed's
 *   cluster-init takes 10–30 s. The cluster's server count is shared state, as k3s's datastore is.
 */
import { compareRank, type ClusterSize, type ElectionConfig, type ElectionPeer } from '../../src/cluster/election.js';
import {
  ELECTION_REANNOUNCE_MS,
  ElectionRunner,
  LOST_GRACE_MS,
  REVOKE_AFTER_MS,
  type ElectionOutcome,
} from '../../src/cluster/election-runner.js';
import { advertToTxt, type AdvertFields } from '../../src/discovery/advert.js';
import type { ResolvedService } from '../../src/discovery/browser.js';
import { PeerTable } from '../../src/discovery/peer-table.js';
import { signAdvert } from '../../src/discovery/signature.js';
import type { NodeStateName } from '../../src/node/node-state.js';
import { FLEET, resolvedService } from './adverts.js';
import { prng } from './prng.js';

export interface SimParams {
  seed: number;
  nodes: number;
  /** Boots spread uniformly over this long. */
  bootSpreadMs: number;
  /** Per-packet loss probability. */
  loss: number;
  /** False downs per node per minute. */
  flapsPerNodeMinute: number;
  /** How many seeds or claimants die before their cluster is up. */
  crashes: number;
  /** Nodes that boot 60–120 s after the last of the others. */
  lateNodes: number;
  servers: number;
  /** Set expectedNodes to the fleet size. */
  quorum: boolean;
  /** With quorum: two groups that cannot hear each other until then. */
  healAtMs?: number;
  /** Share of directed node pairs where nothing gets through one way (a host dropping a peer's packets)… */
  deafPairs?: number;
  /** … until then. */
  deafUntilMs?: number;
  /** Until deafUntilMs, no other node hears the best-ranked one (it hears them all). */
  nobodyHearsBest?: boolean;
  /** Length of preferredServers. */
  preferred: number;
  /** preferredServers lists the late nodes (else some of the others). */
  preferLateNodes?: boolean;
  formingSeconds: number;
  claimHoldSeconds: number;
  /** Stop this long after the reference time at the latest. */
  horizonMs?: number;
  /** Run at least until then, even when every node has joined (to watch a healed partition). */
  runUntilMs?: number;
}

export interface SimNodeResult {
  id: string;
  bootAt: number;
  late: boolean;
  alive: boolean;
  decidedAt?: number;
  joinedAt?: number;
  role?: 'server' | 'agent';
  clusterId: string;
  conflict?: ClusterSize[];
}

export interface SimResult {
  params: SimParams;
  nodes: SimNodeResult[];
  /** The last boot of the nodes that are not late. */
  lastBootAt: number;
  /** When the last disturbance that can delay the election ended (boot, heal, crash detected). */
  settledAt: number;
  endAt: number;
  /** Every cluster ID any node seeded. */
  seeded: string[];
  /** When each was seeded (committed). */
  seededAt: Record<string, number>;
  log: string[];
}

const KEY = Buffer.alloc(32, 7);
/** Queries at boot and after (s), then every QUERY_MAX_INTERVAL_MS (the browser's maxQueryIntervalMs). */
const QUERY_AT_S = [0, 1, 3, 7];
const QUERY_MAX_INTERVAL_MS = 8000;
const JOIN_RETRY_MS = 2000;
const TICK_MS = 500;
/** Liveness detection of a dead peer at each node: 3.5–10 s. */
const DETECT_MS: [number, number] = [3500, 10_000];
const ELECTING: readonly NodeStateName[] = ['forming', 'claiming', 'seeding', 'joining'];

interface Advertised {
  state: NodeStateName;
  clusterId: string;
  supports?: string;
  supportsIndirect?: boolean;
}

interface Node {
  id: string;
  index: number;
  bootAt: number;
  late: boolean;
  group: number;
  booted: boolean;
  alive: boolean;
  table: PeerTable;
  /** The table as election peers, until the table changes. */
  peers?: ElectionPeer[];
  runner?: ElectionRunner;
  generation: number;
  advert?: Advertised;
  svc?: ResolvedService;
  role?: 'server' | 'agent';
  /** Cluster the node is in (seeded or joined), or joining. */
  clusterId: string;
  joinTarget?: string;
  /** Bumped to cancel a join attempt loop or a k3s start under way. */
  epoch: number;
  starting: boolean;
  decidedAt?: number;
  joinedAt?: number;
  conflict?: ClusterSize[];
}

interface Cluster {
  servers: Set<string>;
  agents: Set<string>;
  pendingServer?: string;
}

/** A min-heap of timed events (time, then insertion order). */
class EventQueue {
  readonly #heap: { at: number; seq: number; fn: () => void }[] = [];
  #seq = 0;
  push(at: number, fn: () => void): void {
    const h = this.#heap;
    h.push({ at, seq: this.#seq++, fn });
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): { at: number; fn: () => void } | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(l, m)) m = l;
        if (r < h.length && this.#less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
  #less(a: number, b: number): boolean {
    const x = this.#heap[a]!;
    const y = this.#heap[b]!;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}

export function simulateElection(params: SimParams): SimResult {
  const random = prng(params.seed);
  const between = (lo: number, hi: number): number => lo + random() * (hi - lo);
  const log: string[] = [];
  const queue = new EventQueue();
  let now = 0;
  const at = (t: number, fn: () => void): void => queue.push(t, fn);
  const note = (s: string): void => void log.push(`${(now / 1000).toFixed(3)} ${s}`);

  const ids = new Set<string>();
  while (ids.size < params.nodes) ids.add(`n${Math.floor(random() * 0xffffff).toString(16)}`);
  const idList = [...ids];
  const early = params.nodes - params.lateNodes;
  // Ranked first: the first `preferred` nodes in reverse (not node ID order), or the late ones.
  const preferredServers = params.preferLateNodes
    ? idList.slice(early, early + params.preferred)
    : idList.slice(0, params.preferred).reverse();
  const config: ElectionConfig = {
    preferredServers,
    formingSeconds: params.formingSeconds,
    claimHoldSeconds: params.claimHoldSeconds,
    servers: params.servers,
    ...(params.quorum ? { expectedNodes: params.nodes } : {}),
  };
  const nodes: Node[] = idList.map((id, index) => ({
    id,
    index,
    bootAt: index < early ? random() * params.bootSpreadMs : 0,
    late: index >= early,
    group: params.healAtMs !== undefined && random() < 0.5 ? 1 : 0,
    booted: false,
    alive: true,
    table: new PeerTable({ selfNodeId: id, fleetId: FLEET, key: KEY, now: () => now }),
    generation: 0,
    clusterId: '',
    epoch: 0,
    starting: false,
  }));
  const lastBootAt = Math.max(0, ...nodes.filter((n) => !n.late).map((n) => n.bootAt));
  for (const n of nodes) if (n.late) n.bootAt = lastBootAt + between(60_000, 120_000);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const n of nodes) {
    const changed = (): void => void delete n.peers;
    n.table.on('peer-up', changed).on('peer-changed', changed).on('peer-down', changed);
  }
  const clusters = new Map<string, Cluster>();
  const seeded: string[] = [];
  const seededAt: Record<string, number> = {};
  let crashesLeft = params.crashes;
  let settledAt = Math.max(lastBootAt, params.healAtMs ?? 0);
  let clusterSerial = 0;

  const deaf = new Set<number>();
  for (let i = 0; i < params.nodes * params.nodes; i++) if (random() < (params.deafPairs ?? 0)) deaf.add(i);
  if (params.nobodyHearsBest) {
    const [best] = [...nodes].sort((a, b) => compareRank(preferredServers)(a.id, b.id));
    for (const n of nodes) if (best && n !== best) deaf.add(best.index * params.nodes + n.index);
  }
  const canHear = (from: Node, to: Node): boolean =>
    to.alive &&
    to.booted &&
    (params.healAtMs === undefined || now >= params.healAtMs || from.group === to.group) &&
    (now >= (params.deafUntilMs ?? 0) || !deaf.has(from.index * params.nodes + to.index));
  const packet = (from: Node, to: Node, fn: () => void): void => {
    if (random() < params.loss) return;
    at(now + between(1, 20), () => {
      if (canHear(from, to)) fn();
    });
  };
  const deliver = (from: Node, to: Node): void => {
    const svc = from.svc;
    if (!svc) return;
    const generation = from.generation;
    packet(from, to, () => {
      // Nothing new for the table (a peer held down stays down on the same advert): skip the work.
      if (to.table.byServiceKey(svc.key)?.peer.generation === generation) return;
      to.table.observe(svc);
    });
  };
  const others = (n: Node): Node[] => nodes.filter((o) => o !== n && o.alive && o.booted);

  const advertOf = (n: Node): Advertised => {
    if (n.role) return { state: n.role, clusterId: n.clusterId };
    return n.runner?.advert() ?? { state: 'booting', clusterId: '' };
  };
  const sign = (n: Node, a: Advertised): void => {
    n.generation++;
    const fields: AdvertFields = {
      version: 1,
      nodeId: n.id,
      fleetId: FLEET,
      state: a.state,
      clusterId: a.clusterId,
      generation: n.generation,
      ...(a.supports !== undefined ? { supports: a.supports } : {}),
      ...(a.supportsIndirect ? { supportsIndirect: true } : {}),
    };
    const instance = `nuc-${n.id}`;
    n.svc = resolvedService(instance, advertToTxt({ ...fields, signature: signAdvert(KEY, instance, fields) }));
  };
  const publish = (n: Node): void => {
    const a = advertOf(n);
    const prev = n.advert;
    const same =
      prev?.state === a.state &&
      prev.clusterId === a.clusterId &&
      prev.supports === a.supports &&
      !prev.supportsIndirect === !a.supportsIndirect;
    if (same) return;
    n.advert = a;
    sign(n, a);
    for (const o of others(n)) deliver(n, o);
  };
  const reannounce = (n: Node): void => {
    if (!n.alive) return;
    if (n.advert && ELECTING.includes(n.advert.state)) for (const o of others(n)) deliver(n, o);
    at(now + ELECTION_REANNOUNCE_MS, () => reannounce(n));
  };

  const crash = (n: Node, why: string): void => {
    if (!n.alive) return;
    note(`${n.id} crashes (${why})`);
    n.alive = false;
    n.epoch++;
    for (const o of nodes) {
      if (o === n || !o.alive) continue;
      at(now + between(...DETECT_MS), () => o.alive && o.table.markDown(n.id, 'liveness'));
    }
    // Its peers see it down within DETECT_MS, keep it as lost for the grace, and give up a join
    // of its cluster REVOKE_AFTER_MS after that.
    settledAt = Math.max(settledAt, now + DETECT_MS[1] + LOST_GRACE_MS + REVOKE_AFTER_MS);
  };
  const maybeCrash = (n: Node, withinMs: number, why: string): void => {
    if (crashesLeft <= 0 || random() < 0.3) return;
    crashesLeft--;
    at(now + random() * withinMs, () => {
      if (n.role === undefined) crash(n, why);
    });
  };

  const startK3s = (n: Node, role: 'server' | 'agent', clusterId: string, ms: number): void => {
    const epoch = n.epoch;
    n.starting = true;
    at(now + ms, () => {
      if (!n.alive || n.epoch !== epoch) return;
      n.starting = false;
      const c = clusters.get(clusterId);
      if (!c) return;
      n.role = role;
      n.clusterId = clusterId;
      (role === 'server' ? c.servers : c.agents).add(n.id);
      if (c.pendingServer === n.id) delete c.pendingServer;
      n.joinedAt = now;
      n.runner?.joined();
      note(`${n.id} is ${role} of ${clusterId}`);
      publish(n);
    });
  };
  /** One join request to the best-ranked server in the decision's via list. */
  const tryJoin = (n: Node, epoch: number): void => {
    if (!n.alive || n.epoch !== epoch || n.role || n.starting) return;
    at(now + JOIN_RETRY_MS, () => tryJoin(n, epoch));
    const d = n.runner?.decision;
    if (d?.kind !== 'join') return;
    const c = clusters.get(d.clusterId);
    // The joiner tries the servers of its decision in order, best-ranked first; a server whose
    // k3s is not up yet (still `seeding`) or that does not answer sends it to the next one.
    const registrar = d.via
      .map((id) => byId.get(id))
      .find((r) => r?.role === 'server' && r.clusterId === d.clusterId && canHear(n, r) && canHear(r, n));
    if (!registrar || !c) return;
    if (random() < params.loss || random() < params.loss) return; // request or answer lost
    const pending = c.pendingServer !== undefined ? 1 : 0;
    if (c.servers.size < params.servers && !pending) {
      c.pendingServer = n.id;
      startK3s(n, 'server', d.clusterId, between(5000, 15_000));
    } else if (c.servers.size + pending >= params.servers) startK3s(n, 'agent', d.clusterId, between(3000, 10_000));
    // else: a server join is under way and more servers are needed after it: ask again later
  };

  const onOutcome = (n: Node, o: ElectionOutcome): void => {
    note(`${n.id} ${JSON.stringify(o)}`);
    if (o.kind === 'seed') {
      n.decidedAt = now;
      n.clusterId = o.clusterId;
      seeded.push(o.clusterId);
      seededAt[o.clusterId] = now;
      clusters.set(o.clusterId, { servers: new Set(), agents: new Set() });
      const initMs = between(10_000, 30_000);
      maybeCrash(n, initMs, 'seed before its cluster is up');
      startK3s(n, 'server', o.clusterId, initMs);
    } else if (o.kind === 'join') {
      n.decidedAt = now;
      n.joinTarget = o.clusterId;
      n.epoch++;
      tryJoin(n, n.epoch);
    } else if (o.kind === 'revoked') {
      delete n.decidedAt;
      delete n.joinTarget;
      n.epoch++;
      n.starting = false;
    } else n.conflict = o.clusters;
  };

  const tick = (n: Node): void => {
    if (!n.alive || !n.runner) return;
    const before = n.runner.decision.kind;
    n.runner.tick();
    if (n.runner.decision.kind === 'claim' && before !== 'claim')
      maybeCrash(n, params.claimHoldSeconds * 1000, 'claimant mid-hold');
    publish(n);
    // Every 500 ms while electing; a joiner or a member only waits for its cluster (or a conflict).
    const electing = ['wait', 'claim'].includes(n.runner.decision.kind) && n.joinTarget === undefined;
    at(now + (electing ? TICK_MS : 4 * TICK_MS), () => tick(n));
  };

  /** A PTR query; with known-answer suppression only peers the node does not know answer. */
  const query = (n: Node, round: number): void => {
    if (!n.alive) return;
    if (random() >= params.loss) {
      const dormant = new Set(n.table.dormant().map((p) => p.nodeId));
      for (const o of others(n)) if (!n.table.get(o.id) && !dormant.has(o.id) && canHear(o, n)) deliver(o, n);
    }
    const next = QUERY_AT_S[round + 1];
    at(now + (next === undefined ? QUERY_MAX_INTERVAL_MS : (next - (QUERY_AT_S[round] ?? 0)) * 1000), () =>
      query(n, round + 1),
    );
  };

  const flap = (n: Node): void => {
    if (!n.alive || !n.booted) return;
    note(`${n.id} flaps`);
    for (const o of others(n)) {
      if (random() < params.loss) continue; // missed the down notice
      at(now + between(0, 500), () => o.alive && o.table.markDown(n.id, 'reported'));
      at(now + between(8000, 20_000), () => o.alive && n.alive && o.table.markAlive(n.id));
    }
    at(now + between(1000, 8000), () => {
      if (!n.alive || !n.advert) return;
      sign(n, n.advert); // refuted: the same advert with a higher generation
      for (const o of others(n)) deliver(n, o);
    });
  };
  const flapRatePerMs = (params.flapsPerNodeMinute * params.nodes) / 60_000;
  const nextFlap = (): void => {
    if (flapRatePerMs <= 0) return;
    at(now - Math.log(1 - random()) / flapRatePerMs, () => {
      const alive = nodes.filter((n) => n.alive && n.booted);
      const victim = alive[Math.floor(random() * alive.length)];
      if (victim) flap(victim);
      nextFlap();
    });
  };

  for (const n of nodes) {
    at(n.bootAt, () => {
      n.booted = true;
      n.runner = new ElectionRunner({
        self: { nodeId: n.id, clusterId: '', committed: false },
        config,
        now: () => now - n.bootAt, // its own monotonic clock
        peers: () =>
          (n.peers ??= n.table.list().map((p): ElectionPeer => ({
            nodeId: p.nodeId,
            state: p.state,
            clusterId: p.clusterId,
            ...(p.supports !== undefined ? { supports: p.supports } : {}),
            ...(p.supportsIndirect ? { supportsIndirect: true } : {}),
          }))),
        newClusterId: () => `c${++clusterSerial}-${n.id}`,
        onOutcome: (o) => onOutcome(n, o),
      });
      note(`${n.id} boots${n.late ? ' (late)' : ''}`);
      publish(n);
      query(n, 0);
      at(now + random() * ELECTION_REANNOUNCE_MS, () => reannounce(n));
      tick(n);
    });
  }
  nextFlap();

  const horizon = params.horizonMs ?? 400_000;
  const lastLateBoot = Math.max(0, ...nodes.map((n) => n.bootAt));
  const done = (): boolean => nodes.every((n) => !n.alive || n.role !== undefined || n.conflict !== undefined);
  for (let e = queue.pop(); e; e = queue.pop()) {
    now = e.at;
    e.fn();
    if (now > lastLateBoot && now >= (params.runUntilMs ?? 0) && done()) break;
    if (now > settledAt + horizon) break;
  }
  return {
    params,
    nodes: nodes.map((n) => ({
      id: n.id,
      bootAt: n.bootAt,
      late: n.late,
      alive: n.alive,
      clusterId: n.clusterId,
      ...(n.decidedAt !== undefined ? { decidedAt: n.decidedAt } : {}),
      ...(n.joinedAt !== undefined ? { joinedAt: n.joinedAt } : {}),
      ...(n.role ? { role: n.role } : {}),
      ...(n.conflict ? { conflict: n.conflict } : {}),
    })),
    lastBootAt,
    settledAt,
    endAt: now,
    seeded,
    seededAt,
    log,
  };
}

/** The parameters of randomized trial `seed`: 2–50 nodes, boots over 0–30 s, up to 20 % loss, … */
export function randomTrial(seed: number): SimParams {
  const r = prng(seed * 7919 + 1);
  const nodes = 2 + Math.floor(r() * 49);
  const quorum = r() < 0.3;
  const majority = Math.floor(nodes / 2) + 1;
  // With quorum, enough nodes must boot early and survive for a majority to exist at all.
  const spare = quorum ? nodes - majority : nodes - 1;
  const lateNodes = r() < 0.3 ? Math.min(spare, 1 + Math.floor(r() * 3)) : 0;
  const crashes = r() < 0.3 ? Math.min(spare - lateNodes, 1 + Math.floor(r() * 2)) : 0;
  const servers = [1, 3, 3, 5][Math.floor(r() * 4)] ?? 3;
  return {
    seed,
    nodes,
    bootSpreadMs: r() * 30_000,
    loss: r() * 0.2,
    flapsPerNodeMinute: r() < 0.6 ? r() * 0.6 : 0,
    crashes,
    lateNodes,
    servers,
    quorum,
    ...(quorum && r() < 0.5 ? { healAtMs: 10_000 + r() * 30_000 } : {}),
    ...(r() < 0.25 ? { deafPairs: r() * 0.05, deafUntilMs: 20_000 + r() * 40_000 } : {}),
    preferred: r() < 0.3 ? Math.floor(r() * 4) : 0,
    formingSeconds: 5,
    claimHoldSeconds: 4,
  };
}
