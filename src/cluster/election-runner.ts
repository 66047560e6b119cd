/**
 * Drives the seed election (election.ts) over time for one node: call `tick()` often (every few
 * hundred ms and whenever the peer table changes); advertise `advert()` whenever it changes; act
 * on the outcomes it reports (`onOutcome`). It keeps the little state decide() must not:
 *
 * - when we started forming and since when our claim has been backed (monotonic, injected clock);
 * - peers that left the peer table in the last `lostGraceMs`, handed to decide() as `lost`, so a
 *   flapping peer neither loses nor gains anyone's support;
 * - the outcome: `seed` is final (commit it to disk before acting on it); `join` becomes final
 *   with `joined()` (our k3s is up in that cluster). Until then a join is `revoked` when every
 *   server, agent and seed of that cluster has been out of view for the grace time and then
 *   REVOKE_AFTER_MS more (the seed died before its cluster came up): the node takes part in the
 *   election again;
 * - `conflict`, once seen, stays (with the latest size of each cluster): only a person resolves it.
 */
import type { NodeStateName } from '../node/node-state.js';
import { bySize, decide, type ClusterSize, type Decision, type ElectionConfig, type ElectionPeer } from './election.js';

/** A peer gone from the peer table is kept in view (as `lost`) this long: longer than a flap. */
export const LOST_GRACE_MS = 10_000;
/**
 * A join is given up when nothing of its cluster has been up in view for this long after the lost
 * grace (the seed died before its cluster came up). Longer than the flaps seen in a loaded lab.
 */
export const REVOKE_AFTER_MS = 15_000;
/** The longest pause between a node's mDNS queries that the election's bounds assume. */
export const ELECTION_QUERY_INTERVAL_MS = 8000;
/** While the election runs, the advert is sent again this often (ciao sends an update once). */
export const ELECTION_REANNOUNCE_MS = 2000;

export type ElectionOutcome =
  | { kind: 'seed'; clusterId: string }
  | { kind: 'join'; clusterId: string; via: string[] }
  | { kind: 'revoked'; clusterId: string }
  | { kind: 'conflict'; clusters: ClusterSize[] };

export interface ElectionAdvert {
  state: Extract<NodeStateName, 'forming' | 'claiming' | 'seeding' | 'joining' | 'conflict'>;
  clusterId: string;
  supports?: string;
  /** Advertise `si`: we support a candidate we do not see ourselves. */
  supportsIndirect?: boolean;
}

export interface ElectionRunnerOptions {
  self: { nodeId: string; clusterId: string; committed: boolean };
  config: ElectionConfig;
  /** Monotonic ms (performance.now() in the agent, virtual time in the simulation). */
  now(): number;
  /** Verified peers of our fleet, now (from the peer table). */
  peers(): readonly ElectionPeer[];
  /** A fresh cluster ID for when we seed (CLUSTER_ID pattern). */
  newClusterId(): string;
  onOutcome?(outcome: ElectionOutcome): void;
  lostGraceMs?: number;
  revokeAfterMs?: number;
}

export class ElectionRunner {
  readonly #o: ElectionRunnerOptions;
  readonly #startedAt: number;
  readonly #graceMs: number;
  #snapshot: readonly ElectionPeer[] | undefined;
  #seen = new Map<string, ElectionPeer>();
  readonly #lost = new Map<string, { peer: ElectionPeer; since: number }>();
  #backedSince: number | undefined;
  #clusterId: string;
  #committed: boolean;
  /** The cluster we decided to join, until joined() or revoked. */
  #joining: string | undefined;
  /** Since when the cluster we are joining has shown no member up. */
  #notUpSince: number | undefined;
  #conflict: Map<string, number> | undefined;
  #decision: Decision;

  constructor(o: ElectionRunnerOptions) {
    this.#o = o;
    this.#startedAt = o.now();
    this.#graceMs = o.lostGraceMs ?? LOST_GRACE_MS;
    this.#committed = o.self.committed;
    // A seed committed without its cluster ID on disk gets one now (read it from `clusterId`).
    this.#clusterId = o.self.clusterId || (o.self.committed ? o.newClusterId() : '');
    this.#decision = { kind: 'wait', reason: 'forming-window', supports: o.self.nodeId };
  }

  get decision(): Readonly<Decision> {
    return this.#decision;
  }

  /** Seeded, or joined: nothing left to decide (conflicts are still watched for). */
  get final(): boolean {
    return this.#committed || this.#clusterId !== '';
  }

  /** The cluster we belong to, seed or join; '' before. */
  get clusterId(): string {
    return this.#clusterId;
  }

  /** What to advertise now (the agent sets server/agent itself once its k3s is up). */
  advert(): ElectionAdvert {
    const clusterId = this.#clusterId || this.#joining || '';
    if (this.#conflict) return { state: 'conflict', clusterId };
    if (this.#committed) return { state: 'seeding', clusterId };
    if (clusterId !== '') return { state: 'joining', clusterId };
    const d = this.#decision;
    if (d.kind === 'claim') return { state: 'claiming', clusterId, supports: d.supports };
    if (d.kind === 'wait' && d.supports !== '')
      return d.indirect
        ? { state: 'forming', clusterId, supports: d.supports, supportsIndirect: true }
        : { state: 'forming', clusterId, supports: d.supports };
    return { state: 'forming', clusterId };
  }

  /** Our join succeeded (k3s up in the cluster we were told to join): the join is final. */
  joined(): void {
    if (this.#joining === undefined) return;
    this.#clusterId = this.#joining;
    this.#joining = undefined;
  }

  tick(): Decision {
    const t = this.#o.now();
    this.#track(t);
    const peers: ElectionPeer[] = [...this.#seen.values(), ...[...this.#lost.values()].map((l) => l.peer)];
    const d = decide({
      self: { nodeId: this.#o.self.nodeId, clusterId: this.#clusterId, committed: this.#committed },
      peers,
      formingForMs: t - this.#startedAt,
      ...(this.#backedSince !== undefined ? { claimHeldForMs: t - this.#backedSince } : {}),
      config: this.#o.config,
    });
    this.#apply(d, t);
    return this.#decision;
  }

  /**
   * Peers that left the table since the last tick become lost; lost ones expire after the grace.
   * A snapshot that is the same array as last time (the caller caches it until the table changes)
   * is not looked through again.
   */
  #track(t: number): void {
    const snapshot = this.#o.peers();
    if (snapshot !== this.#snapshot) {
      this.#snapshot = snapshot;
      const now = new Map<string, ElectionPeer>();
      for (const p of snapshot) if (p.nodeId !== this.#o.self.nodeId) now.set(p.nodeId, p);
      for (const [id, p] of this.#seen) if (!now.has(id)) this.#lost.set(id, { peer: { ...p, lost: true }, since: t });
      for (const id of now.keys()) this.#lost.delete(id);
      this.#seen = now;
    }
    for (const [id, l] of this.#lost) if (t - l.since >= this.#graceMs) this.#lost.delete(id);
  }

  #emit(outcome: ElectionOutcome): void {
    this.#o.onOutcome?.(outcome);
  }

  #apply(d: Decision, t: number): void {
    if (d.kind === 'conflict' || this.#conflict) return this.#latchConflict(d);
    this.#decision = d;
    if (d.kind === 'claim' && d.backed) this.#backedSince ??= t;
    else this.#backedSince = undefined;
    if (d.kind === 'seed' && !this.#committed) {
      this.#committed = true;
      this.#clusterId ||= this.#o.newClusterId();
      return this.#emit({ kind: 'seed', clusterId: this.#clusterId });
    }
    if (this.final) return;
    if (d.kind === 'join') {
      this.#notUpSince = undefined;
      if (this.#joining === d.clusterId) return;
      this.#joining = d.clusterId;
      return this.#emit({ kind: 'join', clusterId: d.clusterId, via: d.via });
    }
    if (this.#joining === undefined) return;
    // A cluster with an agent but no server in view is still there; anything else may mean ours is gone.
    if (d.kind === 'wait' && d.reason === 'no-server') {
      this.#notUpSince = undefined;
      return;
    }
    this.#notUpSince ??= t;
    if (t - this.#notUpSince < (this.#o.revokeAfterMs ?? REVOKE_AFTER_MS)) return;
    const clusterId = this.#joining;
    this.#joining = undefined;
    this.#notUpSince = undefined;
    this.#emit({ kind: 'revoked', clusterId });
  }

  #latchConflict(d: Decision): void {
    const sizes = this.#conflict ?? new Map<string, number>();
    const before = JSON.stringify([...sizes]);
    if (d.kind === 'conflict') for (const c of d.clusters) sizes.set(c.clusterId, c.size);
    this.#conflict = sizes;
    const clusters = [...sizes].map(([clusterId, size]) => ({ clusterId, size })).sort(bySize);
    this.#decision = { kind: 'conflict', clusters };
    this.#backedSince = undefined;
    if (JSON.stringify([...sizes]) !== before) this.#emit({ kind: 'conflict', clusters });
  }
}
