/**
 * Application-level liveness without hammering large fleets. mDNS TTLs would keep a killed
 * peer for ~120 s, so peers are checked with an authenticated heartbeat (see
 * heartbeat-client.ts), but not every node checks every peer:
 *
 * - Ring monitoring: sorted by node ID, each node checks its `monitors` (K) successors every
 *   `intervalMs`; a failure is confirmed by a quick retry. `failuresToDown` definite failures
 *   in a row (connection refused/reset: the host is up, the node is not) mark the peer down;
 *   timeouts are ambiguous (an overloaded peer looks like a gone one) and need
 *   `unknownsToDown` in a row. Each node thus sends about K / interval probes per second, and
 *   receives as many, whatever the fleet size.
 * - Telling the others: a node whose own probes find a peer dead multicasts a query for the
 *   peer's SRV record (RFC 6762 §10.5) carrying a down notice signed with the fleet key
 *   (down-notice.ts), and posts the notice to every peer over HTTP; every other node verifies
 *   it and drops the peer at once, and a live peer that was wrongly reported refutes it by
 *   re-announcing with a higher generation. Each monitor announces a death it confirmed
 *   itself once, even if a notice got there first: three independent sources, since one
 *   overloaded monitor's packets may not get out.
 * - Passive observation ("POOF"): a plain SRV query (no notice) that goes unanswered for
 *   0.5 s (a live peer answers at once) makes a node check that peer itself (`suspect`); a
 *   query for a peer held as down (it may be back) too. Such a query alone never marks
 *   anything down: only a failed heartbeat of one's own or a verified notice does.
 * - Timeouts count only at a peer's ring monitors, and not while the monitor suspects itself
 *   (self-suspicion.ts: its heartbeats to several peers time out at once, so it is the slow
 *   or cut-off one); everyone else acts on definite failures only. Without this, on an
 *   overloaded host, one slow process made its monitors declare it down, their queries made
 *   the whole fleet probe it at once, which made it slower still (825 false downs a minute
 *   with 50 nodes on 2 loaded cores).
 * - Suspicion probes (after someone's unanswered query) are made once per suspect per
 *   `suspicionCooldownMs`, at a random moment within `suspicionJitterMs`: no thundering herd.
 * - Sweep: every other peer (and every peer already marked down) is still checked now and
 *   then, within a small per-node budget (`sweepProbesPerSecond`), as a backstop.
 *
 * Worst case for a SIGKILL (refused at once), with the defaults (interval 3 s, retry 0.5 s):
 * the first of three monitors detects within 3 + 0.5 = 3.5 s, and its notice reaches the
 * others in one multicast packet. A host that vanished (timeouts of 2 s) takes up to
 * 3 + 3 × 2 + 2 × 0.5 = 10 s at its monitors, and the notice again tells the rest.
 */
import type { Peer, PeerTable } from './peer-table.js';
import { ProbeHistory, suspicionProbeAt } from './self-suspicion.js';

/**
 * `dead`: definitely not there (refused, reset, bad proof); `unknown`: timed out;
 * `inconclusive`: our own event loop was too busy to tell (not counted either way).
 */
export type ProbeOutcome = 'alive' | 'dead' | 'unknown' | 'inconclusive';

export interface LivenessOptions {
  selfNodeId: string;
  intervalMs: number;
  retryMs: number;
  failuresToDown: number;
  /** Consecutive failures of any kind (timeouts included) that mark a peer down. */
  unknownsToDown: number;
  /** K: how many ring successors each node checks. */
  monitors: number;
  /** Budget of background probes per second for peers not in our ring slice. */
  sweepProbesPerSecond: number;
  /** Shortest sweep interval per peer. */
  minSweepMs: number;
  /** A node probes a peer for someone else's suspicion at most once per this long. */
  suspicionCooldownMs: number;
  /** Suspicion probes are spread uniformly over this long (no thundering herd). */
  suspicionJitterMs: number;
  /** `true`/`false` are shorthands for `alive`/`dead`. */
  probe(peer: Peer): Promise<ProbeOutcome | boolean>;
  /** Called when we marked a peer down or saw it come back: tell the LAN (POOF query). */
  announceSuspicion?(peer: Peer, what: 'down' | 'up'): void;
  /** Told when this node starts or stops suspecting itself (for logs). */
  onSelfSuspicion?(suspected: boolean): void;
  tickMs?: number;
}

export const DEFAULT_LIVENESS = {
  retryMs: 500,
  failuresToDown: 2,
  unknownsToDown: 3,
  monitors: 3,
  sweepProbesPerSecond: 0.2,
  minSweepMs: 30_000,
  suspicionCooldownMs: 2000,
  suspicionJitterMs: 1000,
} as const;
/** After a suspicion, timed-out probes of the suspect are retried (jittered) for this long. */
export const SUSPICION_RETRY_WINDOW_MS = 8000;
/** Heartbeat timeout that goes with DEFAULT_LIVENESS. */
export const HEARTBEAT_TIMEOUT_MS = 2000;

interface Track {
  nextAt: number;
  failures: number;
  /** Definite failures among `failures`. */
  dead: number;
  inFlight: boolean;
  lastProbeAt: number;
  /** When we last scheduled a probe because someone else suspected this peer. */
  lastSuspicionAt: number;
}

const newTrack = (nextAt: number): Track => ({
  nextAt,
  failures: 0,
  dead: 0,
  inFlight: false,
  lastProbeAt: -Infinity,
  lastSuspicionAt: -Infinity,
});

/** The K ring successors of `self` among `ids` (which may include self). */
export function ringSuccessors(self: string, ids: readonly string[], k: number): string[] {
  const ring = [...new Set([...ids, self])].sort();
  const at = ring.indexOf(self);
  const out: string[] = [];
  for (let i = 1; i < ring.length && out.length < k; i++) out.push(ring[(at + i) % ring.length] as string);
  return out;
}

export class LivenessMonitor {
  readonly #table: PeerTable;
  readonly #opts: LivenessOptions;
  readonly #tracks = new Map<string, Track>();
  #timer: NodeJS.Timeout | undefined;
  #selfSuspected = false;
  readonly #history = new ProbeHistory();
  /** Peers whose death this node confirmed with its own probes (and announced), until they answer again. */
  readonly #confirmedDead = new Set<string>();
  probesSent = 0;
  probesFailed = 0;
  /** Timeouts not counted against a peer because we suspected ourselves. */
  timeoutsForgiven = 0;

  constructor(table: PeerTable, opts: LivenessOptions) {
    this.#table = table;
    this.#opts = opts;
  }

  /** Background interval for peers outside our ring slice, for `peers` peers in all. */
  sweepMs(peers: number): number {
    return Math.max(this.#opts.minSweepMs, (peers / this.#opts.sweepProbesPerSecond) * 1000);
  }

  /** Peers this node checks every interval. */
  monitored(): string[] {
    const ids = [...this.#table.list(), ...this.#table.dormant()].map((p) => p.nodeId);
    return ringSuccessors(this.#opts.selfNodeId, ids, this.#opts.monitors);
  }

  start(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#opts.tickMs ?? 250);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Whether our own recent heartbeats say that we are the slow one (see self-suspicion.ts). */
  suspectsSelf(now = performance.now()): boolean {
    return this.#history.suspectSelf(now);
  }

  /**
   * Someone on the LAN suspects this peer (or it may be back): check it soon, once per
   * suspicion episode, at a random moment within `suspicionJitterMs` (all nodes heard the
   * same query: they must not all probe the suspect in the same instant).
   */
  suspect(nodeId: string, now = performance.now(), random: () => number = Math.random): void {
    let t = this.#tracks.get(nodeId);
    if (!t) {
      t = newTrack(Infinity);
      this.#tracks.set(nodeId, t);
    }
    const at = suspicionProbeAt(
      now,
      t.lastSuspicionAt,
      t.inFlight,
      this.#opts.suspicionCooldownMs,
      this.#opts.suspicionJitterMs,
      random,
    );
    if (at === undefined) return;
    t.lastSuspicionAt = now;
    t.nextAt = Math.min(t.nextAt, at);
  }

  tick(now = performance.now()): void {
    const live = this.#table.list();
    const dormant = this.#table.dormant();
    const all = [...live, ...dormant];
    const mine = new Set(
      ringSuccessors(
        this.#opts.selfNodeId,
        all.map((p) => p.nodeId),
        this.#opts.monitors,
      ),
    );
    const sweep = this.sweepMs(all.length);
    const ids = new Set(all.map((p) => p.nodeId));
    for (const id of this.#tracks.keys()) if (!ids.has(id)) this.#tracks.delete(id);
    for (const id of this.#confirmedDead) if (!ids.has(id)) this.#confirmedDead.delete(id);
    for (const peer of all) {
      const interval = mine.has(peer.nodeId) ? this.#opts.intervalMs : sweep;
      let t = this.#tracks.get(peer.nodeId);
      if (!t) {
        // Spread first probes over one interval, so peers found together are not probed together.
        t = newTrack(now + Math.random() * interval);
        this.#tracks.set(peer.nodeId, t);
      }
      // A peer that just entered our ring slice is due within one interval.
      if (t.failures === 0 && t.nextAt > now + interval * 1.2) t.nextAt = now + Math.random() * interval;
      if (t.inFlight || now < t.nextAt) continue;
      t.inFlight = true;
      t.lastProbeAt = now;
      this.probesSent++;
      const track = t;
      const started = performance.now();
      // Schedule from the tick's clock plus the time the probe took (tests drive `now`).
      const ringPeer = mine.has(peer.nodeId);
      const done = (r: ProbeOutcome | boolean): void =>
        this.#result(
          peer,
          track,
          r === true ? 'alive' : r === false ? 'dead' : r,
          interval,
          ringPeer,
          now + (performance.now() - started),
        );
      void this.#opts.probe(peer).then(done, () => done('unknown'));
    }
  }

  #result(peer: Peer, t: Track, outcome: ProbeOutcome, interval: number, ringPeer: boolean, now: number): void {
    t.inFlight = false;
    if (outcome === 'inconclusive') {
      t.nextAt = now + this.#opts.retryMs;
      return;
    }
    if (outcome === 'alive' || outcome === 'unknown') {
      this.#history.record(peer.nodeId, outcome, now);
      const suspected = this.#history.suspectSelf(now);
      if (suspected !== this.#selfSuspected) {
        this.#selfSuspected = suspected;
        this.#opts.onSelfSuspicion?.(suspected);
      }
    }
    if (outcome === 'unknown' && (!ringPeer || this.#selfSuspected)) {
      // A timeout says little: only a peer's ring monitors count timeouts (the others act
      // on definite failures only, so one slow peer is not chased by the whole fleet), and
      // not while our own heartbeats to several peers time out at once (we are the slow one:
      // back off to the normal interval instead of declaring the fleet dead).
      this.timeoutsForgiven++;
      t.failures = t.dead;
      // While someone's suspicion is fresh, try again soon (jittered): a timeout proves
      // nothing either way, and a killed peer refuses the next attempt.
      const suspicionFresh = now - t.lastSuspicionAt < SUSPICION_RETRY_WINDOW_MS;
      t.nextAt = suspicionFresh
        ? now + this.#opts.retryMs + Math.random() * this.#opts.suspicionJitterMs
        : now + interval * (0.9 + Math.random() * 0.2);
      return;
    }
    if (outcome === 'alive') {
      t.failures = 0;
      t.dead = 0;
      this.#confirmedDead.delete(peer.nodeId);
      t.nextAt = now + interval * (0.9 + Math.random() * 0.2);
      const wasDown = !this.#table.get(peer.nodeId);
      this.#table.markAlive(peer.nodeId);
      if (wasDown && this.#table.get(peer.nodeId)) this.#opts.announceSuspicion?.(peer, 'up');
      return;
    }
    this.probesFailed++;
    t.failures++;
    if (outcome === 'dead') t.dead++;
    if (t.dead >= this.#opts.failuresToDown || t.failures >= this.#opts.unknownsToDown) {
      t.failures = 0;
      t.dead = 0;
      t.nextAt = now + interval;
      // Announce a death we confirmed ourselves once, even when someone's notice already made
      // us drop the peer: each of its ring monitors is then an independent source of the news.
      if (this.#table.get(peer.nodeId)) this.#table.markDown(peer.nodeId, 'liveness');
      if (!this.#confirmedDead.has(peer.nodeId)) {
        this.#confirmedDead.add(peer.nodeId);
        this.#opts.announceSuspicion?.(peer, 'down');
      }
    } else {
      t.nextAt = now + this.#opts.retryMs;
    }
  }
}
