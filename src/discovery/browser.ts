/**
 * Our DNS-SD browser for `_nucmesh._tcp`: one mDNS channel per interface, continuous
 * querying with exponential back-off (RFC 6762 §5.2), known-answer suppression (§7.1),
 * duplicate question suppression (§7.3), cache refresh at 80–95 % of TTLs, resolution of
 * SRV/TXT/A/AAAA, and `service`/`removed` events. Interfaces can come and go while running.
 * It is a generic DNS-SD browser: what an application carries in the additional section of a
 * query (nucmesh's down notices) is handed to a hook (`onQueryExtras`), never looked into here.
 */
import { EventEmitter } from 'node:events';
import dnsPacket, { type Answer, type DecodedPacket, type Question } from 'dns-packet';
import type { RemoteInfo } from 'node:dgram';
import { SERVICE_DOMAIN } from './constants.js';
import { answerKey, DnsCache, type CachedRecord, type CachedType } from './dns-cache.js';
import type { DiscoveryInterface } from './interfaces.js';
import { MdnsChannel, MDNS_PORT, newCounters, type PacketCounters } from './mdns-channel.js';
import { foreignQueryCoversOurs } from './query-suppression.js';
import { knownAnswerQueries } from './known-answer-packets.js';
import { SourceRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from '../node/rate-limit.js';

export interface ServiceAddress {
  address: string;
  /** The interface the address record was received on. */
  iface: string;
}

export interface ResolvedService {
  /** Lower-cased instance FQDN: the key. */
  key: string;
  /** Instance name (first label, as advertised). */
  instance: string;
  host: string;
  port: number;
  txt: Buffer[];
  addresses: ServiceAddress[];
}

export interface BrowserOptions {
  /** Longest interval between continuous PTR queries (§5.2 caps at 60 min). */
  maxQueryIntervalMs?: number;
  rateLimit?: RateLimitOptions;
  /** Port to use instead of 5353 (tests). */
  port?: number;
  tickMs?: number;
  /** Told of the additional records of every query from another host (see QueryExtrasHook). */
  onQueryExtras?: QueryExtrasHook;
}

/**
 * The additional records of a query from another host, with the interface it came in on,
 * before its questions are looked at. Returns true when the records made the query's purpose
 * known (its owner dealt with it): the `instance-query` event then says so.
 */
export type QueryExtrasHook = (records: Answer[], iface: string) => boolean;

const PTR_NAME = SERVICE_DOMAIN;
const LPTR = PTR_NAME.toLowerCase();
/**
 * At most this many known answers per query (in packets of one MTU each); the rest is left out
 * (a few extra answers).
 */
const MAX_KNOWN_ANSWERS = 120;

interface QueryState {
  intervalMs: number;
  nextAt: number;
}

interface ResolveState {
  attempts: number;
  nextAt: number;
}

function instanceLabel(fqdn: string): string {
  return fqdn.slice(0, fqdn.length - PTR_NAME.length - 1).replace(/\\(.)/g, '$1');
}

export type BrowserEvents = {
  service: [ResolvedService];
  removed: [string, 'goodbye' | 'expired'];
  /**
   * Another host asked for the SRV record of an instance we hold (its key); `handled` when the
   * query's additional records were dealt with by the `onQueryExtras` hook, called first.
   */
  'instance-query': [string, boolean];
  error: [Error];
};

export class ServiceBrowser extends EventEmitter<BrowserEvents> {
  readonly cache: DnsCache;
  readonly counters: PacketCounters = newCounters();
  readonly limiter: SourceRateLimiter;
  readonly #opts: Required<Omit<BrowserOptions, 'rateLimit' | 'port' | 'onQueryExtras'>> & { port?: number };
  readonly #onQueryExtras: QueryExtrasHook | undefined;
  readonly #channels = new Map<string, MdnsChannel>();
  readonly #ptrQuery = new Map<string, QueryState>();
  readonly #resolving = new Map<string, ResolveState>();
  readonly #resolved = new Map<string, { svc: ResolvedService; sig: string }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: BrowserOptions = {}) {
    super();
    this.#opts = {
      maxQueryIntervalMs: opts.maxQueryIntervalMs ?? 3_600_000,
      tickMs: opts.tickMs ?? 250,
      ...(opts.port !== undefined ? { port: opts.port } : {}),
    };
    this.limiter = new SourceRateLimiter(opts.rateLimit ?? DEFAULT_RATE_LIMIT);
    this.#onQueryExtras = opts.onQueryExtras;
    this.cache = new DnsCache();
  }

  get services(): ResolvedService[] {
    return [...this.#resolved.values()].map((r) => r.svc);
  }

  get interfaces(): string[] {
    return [...this.#channels.keys()];
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#tick(), this.#opts.tickMs);
  }

  async addInterface(iface: DiscoveryInterface): Promise<void> {
    if (this.#channels.has(iface.name)) await this.removeInterface(iface.name);
    const ch = await MdnsChannel.open({
      iface,
      limiter: this.limiter,
      counters: this.counters,
      acceptAnySource: () => this.#channels.size <= 1,
      ...(this.#opts.port !== undefined ? { port: this.#opts.port } : {}),
    });
    ch.on('packet', (p, r) => this.handlePacket(p, r, iface));
    ch.on('error', (e) => this.emit('error', e));
    this.#channels.set(iface.name, ch);
    // First query after 20–120 ms (§5.2), then 1 s, doubling.
    this.#ptrQuery.set(iface.name, { intervalMs: 1000, nextAt: performance.now() + 20 + Math.random() * 100 });
  }

  async removeInterface(name: string): Promise<void> {
    const ch = this.#channels.get(name);
    if (!ch) return;
    ch.close();
    this.#channels.delete(name);
    this.#ptrQuery.delete(name);
    this.#update(this.cache.clearInterface(name), new Set());
  }

  /** When an SRV record of this instance last arrived (performance.now() ms), or -Infinity. */
  lastHeard(key: string): number {
    return Math.max(-Infinity, ...this.cache.find(key, 'SRV').map((r) => r.receivedAt));
  }

  /**
   * Ask for an instance's SRV record on every interface, with no known answers (RFC 6762
   * §10.5), optionally carrying records of the caller's in the additional section.
   */
  queryInstance(key: string, additionals: Answer[] = []): void {
    const srv = this.cache.find(key, 'SRV')[0];
    const name = srv?.name ?? key;
    for (const ifname of this.#channels.keys()) this.#sendQuery(ifname, [{ name, type: 'SRV' }], false, additionals);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const name of [...this.#channels.keys()]) {
      this.#channels.get(name)?.close();
      this.#channels.delete(name);
    }
  }

  /** The packet path: public so the fuzz test can drive it directly. Never throws. */
  handlePacket(packet: DecodedPacket, rinfo: RemoteInfo, iface: DiscoveryInterface): void {
    try {
      if (packet.type === 'response') {
        // §6: responses not sent from port 5353 are not mDNS responses; ignore them.
        if (rinfo.port !== (this.#opts.port ?? MDNS_PORT)) return;
        const answers = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
        const change = this.cache.addAnswers(answers, iface.name);
        this.#update(change.instances, change.goodbyes);
      } else if (packet.type === 'query' && rinfo.address !== iface.ipv4) {
        this.#noteQuery(packet, iface);
      }
    } catch (e) {
      this.emit('error', e as Error);
    }
  }

  #noteQuery(packet: DecodedPacket, iface: DiscoveryInterface): void {
    const known = new Set<string>();
    for (const a of (packet.answers ?? []) as Answer[]) {
      const k = answerKey(a);
      if (k) known.add(k);
    }
    const extras = ((packet.additionals ?? []) as Answer[]).filter((a) => a !== null && typeof a === 'object');
    const handled = extras.length > 0 && this.#onQueryExtras !== undefined && this.#onQueryExtras(extras, iface.name);
    for (const q of (packet.questions ?? []) as Question[]) {
      if (typeof q?.name !== 'string') continue;
      const lname = q.name.toLowerCase();
      this.cache.noteForeignQuestion(lname, q.type, iface.name, known);
      if (q.type === 'SRV' || (q.type as string) === 'ANY') {
        const ours = this.cache.find(lname, 'SRV').some((r) => r.iface === iface.name);
        if (ours) this.emit('instance-query', lname, handled);
      }
      if (lname === LPTR && (q.type === 'PTR' || (q.type as string) === 'ANY')) {
        const ours = new Set(
          this.cache.knownAnswers(LPTR, 'PTR', iface.name).map((r) => `${r.lname}|PTR|${r.dataKey}`),
        );
        const theirs = [...known].filter((k) => k.startsWith(`${LPTR}|PTR|`));
        const st = this.#ptrQuery.get(iface.name);
        // A truncated query (TC) continues its known answers in later packets: we cannot
        // tell what it covers, so it never stands in for ours.
        const truncated = ((packet.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) !== 0;
        if (
          st &&
          !truncated &&
          foreignQueryCoversOurs(theirs, ours) &&
          st.nextAt - performance.now() < st.intervalMs / 2
        ) {
          st.nextAt = performance.now() + st.intervalMs;
        }
      }
    }
  }

  #tick(): void {
    const now = performance.now();
    this.#update(this.cache.expire(), new Set());
    const questions = new Map<string, Map<string, Question>>();
    const ask = (iface: string, name: string, type: CachedType): void => {
      let m = questions.get(iface);
      if (!m) questions.set(iface, (m = new Map()));
      m.set(`${name.toLowerCase()}|${type}`, { name, type });
    };
    for (const [name, st] of this.#ptrQuery) {
      if (now < st.nextAt) continue;
      ask(name, PTR_NAME, 'PTR');
      st.nextAt = now + st.intervalMs;
      st.intervalMs = Math.min(st.intervalMs * 2, this.#opts.maxQueryIntervalMs);
    }
    for (const r of this.cache.dueForRefresh()) if (this.#channels.has(r.iface)) ask(r.iface, r.name, r.type);
    for (const [key, st] of this.#resolving) {
      if (now < st.nextAt) continue;
      const missing = this.#missing(key);
      if (missing.length === 0 || st.attempts >= 4) {
        this.#resolving.delete(key);
        continue;
      }
      st.attempts++;
      st.nextAt = now + 1000 * 2 ** st.attempts;
      for (const ifname of this.#channels.keys()) for (const [n, t] of missing) ask(ifname, n, t);
    }
    for (const [ifname, qs] of questions) this.#sendQuery(ifname, [...qs.values()]);
  }

  #missing(key: string): [string, CachedType][] {
    const out: [string, CachedType][] = [];
    const srv = this.cache.find(key, 'SRV')[0];
    if (!srv) out.push([key, 'SRV']);
    if (this.cache.find(key, 'TXT').length === 0) out.push([key, 'TXT']);
    if (srv) {
      const target = (srv.data as { target: string }).target;
      if (this.cache.find(target.toLowerCase(), 'A').length === 0) out.push([target, 'A']);
    }
    return out;
  }

  #sendQuery(ifname: string, questions: Question[], withKnownAnswers = true, additionals: Answer[] = []): void {
    const ch = this.#channels.get(ifname);
    if (!ch || questions.length === 0) return;
    const answers: Answer[] = [];
    for (const q of withKnownAnswers ? questions : []) {
      for (const r of this.cache.knownAnswers(q.name.toLowerCase(), q.type as CachedType, ifname)) {
        if (answers.length >= MAX_KNOWN_ANSWERS) break;
        answers.push(toAnswer(r, this.cache.remainingTtl(r)));
      }
    }
    for (const packet of knownAnswerQueries(questions, answers, additionals)) ch.send(packet);
  }

  #update(instances: Set<string>, goodbyes: Set<string>): void {
    for (const key of instances) {
      const svc = this.#resolve(key);
      const prev = this.#resolved.get(key);
      if (!svc) {
        if (prev) {
          this.#resolved.delete(key);
          this.emit('removed', key, goodbyes.has(key) ? 'goodbye' : 'expired');
        }
        if (!this.cache.instances().has(key)) this.#resolving.delete(key);
        else if (!this.#resolving.has(key)) this.#resolving.set(key, { attempts: 0, nextAt: performance.now() + 50 });
        continue;
      }
      const sig = JSON.stringify([svc.host, svc.port, svc.txt.map((b) => b.toString('base64')), svc.addresses]);
      if (prev?.sig === sig) continue;
      this.#resolved.set(key, { svc, sig });
      if (svc.addresses.length === 0 && !this.#resolving.has(key))
        this.#resolving.set(key, { attempts: 0, nextAt: performance.now() + 50 });
      this.emit('service', svc);
    }
  }

  #resolve(key: string): ResolvedService | undefined {
    const ptrs = [...this.cache.records()].filter((r) => r.type === 'PTR' && r.dataKey === key);
    if (ptrs.length === 0) return undefined;
    const latest = (rs: CachedRecord[]): CachedRecord | undefined =>
      rs.reduce<CachedRecord | undefined>((a, r) => (!a || r.receivedAt >= a.receivedAt ? r : a), undefined);
    const srv = latest(this.cache.find(key, 'SRV'));
    const txt = latest(this.cache.find(key, 'TXT'));
    if (!srv || !txt) return undefined;
    const { target, port } = srv.data as { target: string; port: number };
    const lt = target.toLowerCase();
    const addresses = [...this.cache.find(lt, 'A'), ...this.cache.find(lt, 'AAAA')]
      .map((r) => ({ address: r.data as string, iface: r.iface }))
      .sort((a, b) => (a.iface + a.address).localeCompare(b.iface + b.address));
    const first = ptrs[0] as CachedRecord;
    return {
      key,
      instance: instanceLabel(first.data as string),
      host: target,
      port,
      txt: txt.data as Buffer[],
      addresses,
    };
  }
}

function toAnswer(r: CachedRecord, ttl: number): Answer {
  if (r.type === 'SRV') return { type: 'SRV', name: r.name, ttl, data: r.data as { target: string; port: number } };
  if (r.type === 'TXT') return { type: 'TXT', name: r.name, ttl, data: r.data as Buffer[] };
  return { type: r.type, name: r.name, ttl, data: r.data as string };
}
