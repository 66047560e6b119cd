/**
 * The browser's record cache (RFC 6762 §10): only the records of our service type and the
 * addresses of their hosts, with TTLs, goodbyes (TTL 0), the cache-flush bit, refresh points
 * at 80/85/90/95 % of the TTL (§5.2) and a hard cap on the number of records.
 * Pure over an injected clock; the browser owns sockets and timers.
 */
import type { Answer } from 'dns-packet';
import { SERVICE_DOMAIN } from './constants.js';

export type CachedType = 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA';

export interface CachedRecord {
  name: string;
  /** Lower-cased name, the comparison key. */
  lname: string;
  type: CachedType;
  /** PTR: instance FQDN; SRV: {target, port}; TXT: strings; A/AAAA: address. */
  data: string | { target: string; port: number } | Buffer[];
  /** Canonical string form of data, for equality. */
  dataKey: string;
  ttl: number;
  iface: string;
  receivedAt: number;
  /** Index into REFRESH_POINTS of the next refresh query. */
  refreshStep: number;
  /** Random 0–2 % of the TTL added to each refresh point, so peers do not query in lockstep. */
  jitter: number;
}

export const REFRESH_POINTS = [0.8, 0.85, 0.9, 0.95];
export const MAX_RECORDS = 4096;
const SERVICE_SUFFIX = '.' + SERVICE_DOMAIN.toLowerCase();

export interface CacheChange {
  /** Lower-cased instance FQDNs whose resolution may have changed. */
  instances: Set<string>;
  /** Instances removed by a goodbye. */
  goodbyes: Set<string>;
}

function isInstanceName(lname: string): boolean {
  return lname.endsWith(SERVICE_SUFFIX) && lname.length > SERVICE_SUFFIX.length && lname.length <= 255;
}

function dataOf(a: Answer): { data: CachedRecord['data']; dataKey: string } | undefined {
  switch (a.type) {
    case 'PTR':
    case 'A':
    case 'AAAA':
      return typeof a.data === 'string' ? { data: a.data, dataKey: a.data.toLowerCase() } : undefined;
    case 'SRV': {
      const d = a.data as { target?: unknown; port?: unknown };
      if (typeof d?.target !== 'string' || typeof d.port !== 'number') return undefined;
      return { data: { target: d.target, port: d.port }, dataKey: `${d.target.toLowerCase()}:${d.port}` };
    }
    case 'TXT': {
      const raw = a.data;
      const list = (Array.isArray(raw) ? raw : [raw]).map((x) => (typeof x === 'string' ? Buffer.from(x) : x));
      if (!list.every((x) => Buffer.isBuffer(x))) return undefined;
      return { data: list, dataKey: list.map((b) => b.toString('base64')).join(',') };
    }
    default:
      return undefined;
  }
}

export class DnsCache {
  readonly #records = new Map<string, CachedRecord>();
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #max: number;
  /** Records refused because the cache was full. */
  refused = 0;

  constructor(now: () => number = () => performance.now(), random: () => number = Math.random, max = MAX_RECORDS) {
    this.#now = now;
    this.#random = random;
    this.#max = max;
  }

  get size(): number {
    return this.#records.size;
  }

  records(): IterableIterator<CachedRecord> {
    return this.#records.values();
  }

  find(lname: string, type: CachedType): CachedRecord[] {
    const out: CachedRecord[] = [];
    for (const r of this.#records.values()) if (r.lname === lname && r.type === type) out.push(r);
    return out;
  }

  /** The SRV targets we hold; only their A/AAAA records are cached. */
  #targets(): Set<string> {
    const s = new Set<string>();
    for (const r of this.#records.values())
      if (r.type === 'SRV') s.add((r.data as { target: string }).target.toLowerCase());
    return s;
  }

  #instancesOfHost(lhost: string): string[] {
    const out: string[] = [];
    for (const r of this.#records.values())
      if (r.type === 'SRV' && (r.data as { target: string }).target.toLowerCase() === lhost) out.push(r.lname);
    return out;
  }

  /** Add the answers of one response packet, received on `iface`. */
  addAnswers(answers: readonly Answer[], iface: string): CacheChange {
    const change: CacheChange = { instances: new Set(), goodbyes: new Set() };
    const now = this.#now();
    // Service records first, so the addresses in the same packet find their SRV target.
    const ordered = [...answers].sort((a, b) => rank(a.type) - rank(b.type));
    let targets: Set<string> | undefined;
    for (const a of ordered) {
      if (typeof a.name !== 'string') continue;
      const lname = a.name.toLowerCase();
      const type = a.type as CachedType;
      const ttl = typeof (a as { ttl?: unknown }).ttl === 'number' ? (a as { ttl: number }).ttl : 0;
      if (type === 'PTR') {
        if (lname !== SERVICE_DOMAIN.toLowerCase()) continue;
      } else if (type === 'SRV' || type === 'TXT') {
        if (!isInstanceName(lname)) continue;
      } else if (type === 'A' || type === 'AAAA') {
        targets ??= this.#targets();
        if (!targets.has(lname) && ttl !== 0) continue;
      } else continue;
      const d = dataOf(a);
      if (!d) continue;
      if (type === 'PTR' && !isInstanceName(d.dataKey)) continue;
      const key = `${iface}|${lname}|${type}|${d.dataKey}`;
      const affected =
        type === 'PTR' ? [d.dataKey] : type === 'A' || type === 'AAAA' ? this.#instancesOfHost(lname) : [lname];
      if (ttl === 0) {
        // Goodbye (§10.1): forget the record now.
        if (this.#records.delete(key)) {
          for (const i of affected) {
            change.instances.add(i);
            if (type === 'PTR' || type === 'SRV') change.goodbyes.add(i);
          }
        }
        continue;
      }
      if ((a as { flush?: boolean }).flush) {
        // Cache-flush (§10.2): other data for this name/type from more than 1 s ago is stale.
        for (const [k, r] of this.#records) {
          if (
            r.lname === lname &&
            r.type === type &&
            r.iface === iface &&
            r.dataKey !== d.dataKey &&
            now - r.receivedAt > 1000
          )
            this.#records.delete(k);
        }
      }
      const existing = this.#records.get(key);
      if (!existing && this.#records.size >= this.#max) {
        this.refused++;
        continue;
      }
      const rec: CachedRecord = {
        name: a.name,
        lname,
        type,
        data: d.data,
        dataKey: d.dataKey,
        ttl: Math.min(ttl, 4500),
        iface,
        receivedAt: now,
        refreshStep: 0,
        jitter: this.#random() * 0.02,
      };
      this.#records.delete(key); // re-insert: Map order is then least recently refreshed first
      this.#records.set(key, rec);
      if (!existing || existing.dataKey !== rec.dataKey) for (const i of affected) change.instances.add(i);
      if (type === 'SRV') targets = undefined;
    }
    return change;
  }

  /** Drop expired records; returns the instances they affected. */
  expire(): Set<string> {
    const now = this.#now();
    const affected = new Set<string>();
    for (const [k, r] of this.#records) {
      if (now - r.receivedAt >= r.ttl * 1000) {
        this.#records.delete(k);
        if (r.type === 'PTR') affected.add(r.dataKey);
        else if (r.type === 'A' || r.type === 'AAAA') for (const i of this.#instancesOfHost(r.lname)) affected.add(i);
        else affected.add(r.lname);
      }
    }
    return affected;
  }

  /** Records whose next refresh point has passed; advances their refresh step. */
  dueForRefresh(): CachedRecord[] {
    const now = this.#now();
    const due: CachedRecord[] = [];
    for (const r of this.#records.values()) {
      const point = REFRESH_POINTS[r.refreshStep];
      if (point === undefined) continue;
      if (now - r.receivedAt >= (point + r.jitter) * r.ttl * 1000) {
        r.refreshStep++;
        due.push(r);
      }
    }
    return due;
  }

  /**
   * Duplicate question suppression (§7.3): another host asked for `lname`/`type` on `iface`
   * without listing our record as a known answer, so the answer will refresh us too: skip
   * our own query at the current refresh point.
   */
  noteForeignQuestion(lname: string, type: string, iface: string, knownAnswerKeys: Set<string>): void {
    const now = this.#now();
    for (const r of this.#records.values()) {
      if (r.lname !== lname || r.iface !== iface || (r.type !== type && type !== 'ANY')) continue;
      if (knownAnswerKeys.has(`${r.lname}|${r.type}|${r.dataKey}`)) continue;
      const point = REFRESH_POINTS[r.refreshStep];
      if (point !== undefined && now - r.receivedAt >= (point - 0.05) * r.ttl * 1000) r.refreshStep++;
    }
  }

  /** Known answers for a query (§7.1): records with more than half their TTL left. */
  knownAnswers(lname: string, type: CachedType, iface: string): CachedRecord[] {
    const now = this.#now();
    return this.find(lname, type).filter((r) => r.iface === iface && now - r.receivedAt < (r.ttl * 1000) / 2);
  }

  remainingTtl(r: CachedRecord): number {
    return Math.max(1, Math.floor(r.ttl - (this.#now() - r.receivedAt) / 1000));
  }

  /** Instance FQDNs currently pointed to by a PTR. */
  instances(): Set<string> {
    const s = new Set<string>();
    for (const r of this.#records.values()) if (r.type === 'PTR') s.add(r.dataKey);
    return s;
  }

  clearInterface(iface: string): Set<string> {
    const affected = new Set<string>();
    for (const [k, r] of this.#records) {
      if (r.iface !== iface) continue;
      this.#records.delete(k);
      affected.add(r.type === 'PTR' ? r.dataKey : r.lname);
    }
    return affected;
  }
}

function rank(type: string): number {
  return type === 'PTR' ? 0 : type === 'SRV' ? 1 : type === 'TXT' ? 2 : 3;
}

/** Key used to compare a known answer in someone else's query with our records. */
export function answerKey(a: Answer): string | undefined {
  if (typeof a.name !== 'string') return undefined;
  const d = dataOf(a);
  return d ? `${a.name.toLowerCase()}|${a.type}|${d.dataKey}` : undefined;
}
