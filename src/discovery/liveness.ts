/**
 * Application-level liveness: mDNS TTLs would keep a killed peer for ~120 s, so every peer
 * in the table (and every peer liveness already dropped while its advert is still cached)
 * gets an authenticated heartbeat every `intervalMs`. A failure is confirmed by a quick retry;
 * `failuresToDown` consecutive failures mark the peer down. The probe rate per node is capped
 * (`maxProbesPerSecond`), so a large fleet stretches the interval instead of flooding.
 *
 * Worst case to detect a SIGKILL: interval + retry delay + 2 × timeout (defaults: 3 + 1 +
 * 2 × 1.5 = 7 s) while peers ≤ interval × maxProbesPerSecond (30 by default).
 */
import type { Peer, PeerTable } from './peer-table.js';

export interface LivenessOptions {
  intervalMs: number;
  retryMs: number;
  failuresToDown: number;
  maxProbesPerSecond: number;
  probe(peer: Peer): Promise<boolean>;
  tickMs?: number;
}

interface Track {
  nextAt: number;
  failures: number;
  inFlight: boolean;
}

export class LivenessMonitor {
  readonly #table: PeerTable;
  readonly #opts: LivenessOptions;
  readonly #tracks = new Map<string, Track>();
  #timer: NodeJS.Timeout | undefined;
  probesSent = 0;
  probesFailed = 0;

  constructor(table: PeerTable, opts: LivenessOptions) {
    this.#table = table;
    this.#opts = opts;
  }

  /** Effective interval for the current number of peers. */
  intervalMs(peers: number): number {
    return Math.max(this.#opts.intervalMs, (peers / this.#opts.maxProbesPerSecond) * 1000);
  }

  start(): void {
    this.#timer ??= setInterval(() => this.tick(), this.#opts.tickMs ?? 250);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  tick(now = performance.now()): void {
    const live = this.#table.list();
    const dormant = this.#table.dormant();
    const all = [...live, ...dormant];
    const interval = this.intervalMs(all.length);
    const ids = new Set(all.map((p) => p.nodeId));
    for (const id of this.#tracks.keys()) if (!ids.has(id)) this.#tracks.delete(id);
    for (const peer of all) {
      let t = this.#tracks.get(peer.nodeId);
      if (!t) {
        // First probe spread over one interval, so peers found together are not probed together.
        t = { nextAt: now + Math.random() * interval, failures: 0, inFlight: false };
        this.#tracks.set(peer.nodeId, t);
      }
      if (t.inFlight || now < t.nextAt) continue;
      t.inFlight = true;
      this.probesSent++;
      const track = t;
      void this.#opts.probe(peer).then(
        (ok) => this.#result(peer, track, ok),
        () => this.#result(peer, track, false),
      );
    }
  }

  #result(peer: Peer, t: Track, ok: boolean): void {
    t.inFlight = false;
    const now = performance.now();
    if (ok) {
      t.failures = 0;
      t.nextAt = now + this.intervalMs(this.#table.size + this.#table.dormant().length) * (0.9 + Math.random() * 0.2);
      this.#table.markAlive(peer.nodeId);
      return;
    }
    this.probesFailed++;
    t.failures++;
    if (t.failures >= this.#opts.failuresToDown) {
      t.failures = 0;
      t.nextAt = now + this.intervalMs(this.#table.size + this.#table.dormant().length);
      this.#table.markDown(peer.nodeId, 'liveness');
    } else {
      t.nextAt = now + this.#opts.retryMs;
    }
  }
}
