/**
 * The authenticated peer table: our fleet's verified adverts, keyed by node ID, with typed
 * peer-up / peer-changed / peer-down events. Adverts from another fleet, invalid, badly
 * signed or older than a generation already seen (a replay) are kept out and counted.
 * Bounded: at most `maxPeers` peers and `maxGenerations` remembered generations.
 */
import { EventEmitter } from 'node:events';
import type { NodeStateName } from '../node/node-state.js';
import type { ResolvedService, ServiceAddress } from './browser.js';
import { evaluateService } from './evaluate.js';

export interface Peer {
  nodeId: string;
  instance: string;
  state: NodeStateName;
  clusterId: string;
  k3sPort?: number;
  /** The seed candidate it supports while the seed election runs. */
  supports?: string;
  /** It does not see that candidate itself. */
  supportsIndirect?: true;
  /** Pin of the peer's API certificate, from its signed advert. */
  certPin?: string;
  generation: number;
  /** API port (the SRV port). */
  port: number;
  host: string;
  addresses: ServiceAddress[];
  fleetMatches: true;
  verified: true;
  /** Wall-clock ms of the last advert or heartbeat (for display only; logic uses no clock). */
  lastSeen: number;
  /** Key of the DNS-SD instance it came from. */
  serviceKey: string;
}

/** `reported`: a ring monitor's verified down notice (down-notice.ts). */
export type DownReason = 'goodbye' | 'expired' | 'liveness' | 'interface' | 'reported';

export interface RejectCounters {
  otherFleet: number;
  badSignature: number;
  stale: number;
  invalid: number;
  tableFull: number;
  /** Down notices that did not verify (bad MAC, another fleet, malformed). */
  badNotice: number;
  /** Goodbyes for a peer that still answered its authenticated heartbeat (forged). */
  spoofedGoodbye: number;
}

export interface PeerTableOptions {
  selfNodeId: string;
  fleetId: string;
  key: Buffer;
  maxPeers?: number;
  maxGenerations?: number;
  now?: () => number;
}

export type PeerEvents = {
  'peer-up': [Peer];
  'peer-changed': [Peer, Peer];
  'peer-down': [Peer, DownReason];
  rejected: [keyof RejectCounters, { instance: string; nodeId?: string; problem?: string }];
};

export class PeerTable extends EventEmitter<PeerEvents> {
  readonly counters: RejectCounters = {
    otherFleet: 0,
    badSignature: 0,
    stale: 0,
    invalid: 0,
    tableFull: 0,
    badNotice: 0,
    spoofedGoodbye: 0,
  };
  readonly #opts: Required<Omit<PeerTableOptions, 'now'>> & { now: () => number };
  /** Live peers whose mDNS records expired but which answered a heartbeat, so were kept (service.ts). */
  keptAfterExpiry = 0;
  readonly #peers = new Map<string, Peer>();
  /** Highest verified generation per node ID, and the advert signature accepted at it. */
  readonly #generations = new Map<string, { generation: number; signature: string }>();
  /** The last verified advert of nodes that are down but still in the mDNS cache. */
  readonly #dormant = new Map<string, Peer>();

  constructor(opts: PeerTableOptions) {
    super();
    this.#opts = { maxPeers: 1024, maxGenerations: 4096, now: Date.now, ...opts };
  }

  get size(): number {
    return this.#peers.size;
  }

  get(nodeId: string): Peer | undefined {
    return this.#peers.get(nodeId);
  }

  list(): Peer[] {
    return [...this.#peers.values()].sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  /** The peer (live or dormant) advertised under a DNS-SD instance key. */
  byServiceKey(serviceKey: string): { peer: Peer; live: boolean } | undefined {
    for (const p of this.#peers.values()) if (p.serviceKey === serviceKey) return { peer: p, live: true };
    for (const p of this.#dormant.values()) if (p.serviceKey === serviceKey) return { peer: p, live: false };
    return undefined;
  }

  /** Verified peers that liveness declared down while their adverts are still cached. */
  dormant(): Peer[] {
    return [...this.#dormant.values()];
  }

  /** A down notice that did not verify: counted and reported like a rejected advert. */
  rejectNotice(info: { instance: string; nodeId?: string; problem?: string }): void {
    this.#reject('badNotice', info);
  }

  /** A goodbye the peer's own heartbeat contradicts: counted and reported, the peer kept. */
  rejectGoodbye(info: { instance: string; nodeId?: string; problem?: string }): void {
    this.#reject('spoofedGoodbye', info);
  }

  #reject(kind: keyof RejectCounters, info: { instance: string; nodeId?: string; problem?: string }): void {
    this.counters[kind]++;
    this.emit('rejected', kind, info);
  }

  /** A service was resolved or changed in the browser. */
  observe(svc: ResolvedService): void {
    const ev = evaluateService(svc, { fleetId: this.#opts.fleetId, key: this.#opts.key });
    const a = ev.advert;
    if (a && a.nodeId === this.#opts.selfNodeId && ev.verdict === 'ok') return; // our own advert
    const info = {
      instance: svc.instance,
      ...(a ? { nodeId: a.nodeId } : {}),
      ...(ev.problem ? { problem: ev.problem } : {}),
    };
    if (ev.verdict === 'invalid' || ev.verdict === 'unverified' || !a) return this.#reject('invalid', info);
    if (ev.verdict === 'other-fleet') return this.#reject('otherFleet', info);
    if (ev.verdict === 'bad-signature') return this.#reject('badSignature', info);
    const seen = this.#generations.get(a.nodeId);
    if (
      seen &&
      (a.generation < seen.generation || (a.generation === seen.generation && a.signature !== seen.signature))
    ) {
      return this.#reject('stale', {
        ...info,
        problem: `generation ${a.generation} is older than ${seen.generation} already seen`,
      });
    }
    this.#rememberGeneration(a.nodeId, a.generation, a.signature);
    const peer: Peer = {
      nodeId: a.nodeId,
      instance: svc.instance,
      state: a.state,
      clusterId: a.clusterId,
      generation: a.generation,
      port: svc.port,
      host: svc.host,
      addresses: svc.addresses,
      fleetMatches: true,
      verified: true,
      lastSeen: this.#opts.now(),
      serviceKey: svc.key,
      ...(a.k3sPort !== undefined ? { k3sPort: a.k3sPort } : {}),
      ...(a.supports !== undefined ? { supports: a.supports } : {}),
      ...(a.supportsIndirect ? { supportsIndirect: true as const } : {}),
      ...(a.certPin !== undefined ? { certPin: a.certPin } : {}),
    };
    const prev = this.#peers.get(a.nodeId);
    if (!prev) {
      const dormant = this.#dormant.get(a.nodeId);
      if (dormant && dormant.generation === peer.generation && dormant.serviceKey === peer.serviceKey) {
        // Same advert as when liveness gave up on it: stays down until a heartbeat answers.
        this.#dormant.set(a.nodeId, peer);
        return;
      }
      this.#dormant.delete(a.nodeId);
      if (this.#peers.size >= this.#opts.maxPeers) return this.#reject('tableFull', info);
      this.#peers.set(a.nodeId, peer);
      this.emit('peer-up', peer);
      return;
    }
    this.#peers.set(a.nodeId, peer);
    if (JSON.stringify({ ...prev, lastSeen: 0 }) !== JSON.stringify({ ...peer, lastSeen: 0 }))
      this.emit('peer-changed', peer, prev);
  }

  #rememberGeneration(nodeId: string, generation: number, signature: string): void {
    this.#generations.delete(nodeId);
    if (this.#generations.size >= this.#opts.maxGenerations) {
      const oldest = this.#generations.keys().next().value;
      if (oldest !== undefined) this.#generations.delete(oldest);
    }
    this.#generations.set(nodeId, { generation, signature });
  }

  /** The DNS-SD instance went away (goodbye or TTL expiry). */
  removeService(serviceKey: string, reason: DownReason): void {
    for (const [id, p] of this.#peers) {
      if (p.serviceKey !== serviceKey) continue;
      this.#peers.delete(id);
      this.emit('peer-down', p, reason);
    }
    for (const [id, p] of this.#dormant) if (p.serviceKey === serviceKey) this.#dormant.delete(id);
  }

  /** Liveness gave up on a peer: down now, revived by `markAlive` or a newer advert. */
  markDown(nodeId: string, reason: DownReason = 'liveness'): void {
    const p = this.#peers.get(nodeId);
    if (!p) return;
    this.#peers.delete(nodeId);
    this.#dormant.set(nodeId, p);
    this.emit('peer-down', p, reason);
  }

  /** A heartbeat answered: refresh last-seen, and bring a dormant peer back up. */
  markAlive(nodeId: string): void {
    const p = this.#peers.get(nodeId);
    if (p) {
      p.lastSeen = this.#opts.now();
      return;
    }
    const d = this.#dormant.get(nodeId);
    if (!d || this.#peers.size >= this.#opts.maxPeers) return;
    this.#dormant.delete(nodeId);
    d.lastSeen = this.#opts.now();
    this.#peers.set(nodeId, d);
    this.emit('peer-up', d);
  }
}
