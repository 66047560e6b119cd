/**
 * The node's metrics: one prom-client registry, made by the composition root and handed to the
 * parts that count things (discovery, the API, the boot steps), served by `GET /metrics` in
 * Prometheus text format. Each metric is defined here once, so names and labels stay one list.
 * Labels are bounded sets (states, reasons, outcomes, route patterns), never IDs or addresses.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { NODE_STATES, type NodeStateName } from './node-state.js';

export interface NodeMetrics {
  registry: Registry;
  /** 1 for the node's current state, 0 for the others. */
  state: Gauge<'state'>;
  /** Seconds each boot step took, last time it ran (set as steps end). */
  bootStepSeconds: Gauge<'step' | 'status'>;
  /** Peers in the table, by advertised state (set at each scrape by discovery). */
  peers: Gauge<'state'>;
  advertsRejected: Counter<'reason'>;
  mdnsPackets: Counter<'direction'>;
  heartbeats: Counter<'outcome'>;
  joinRequests: Counter<'outcome'>;
  apiRequests: Counter<'route' | 'method' | 'status'>;
  apiAuthFailures: Counter<'reason'>;
  /**
   * Count one API request in `apiRequests`. Kept as a plain running total per series and copied
   * into the counter at each scrape: prom-client hashes and checks a label object on every `inc`,
   * which costs more than the rest of a cached answer.
   */
  countApiRequest(route: string, method: string, status: number): void;
  /** Mark `state` as the current one. */
  setState(state: NodeStateName): void;
  /** Run `fn` before each scrape (to copy totals kept elsewhere); returns how to stop. */
  onCollect(fn: () => void): () => void;
  /** Set a counter to a running total kept elsewhere (at scrape time). */
  setTotal<L extends string>(c: Counter<L>, labels: Record<L, string>, total: number): void;
  /**
   * The registry in Prometheus text format, after the collectors ran. Scrapes within `maxAgeMs`
   * (default 1 s) of one another share one rendering: collecting the process metrics costs
   * milliseconds, and a scraper asks every 15 s or so.
   */
  text(maxAgeMs?: number): Promise<string>;
}

export function createNodeMetrics(o: { processMetrics?: boolean } = {}): NodeMetrics {
  const registry = new Registry();
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'nucmesh_' });
  const registers = [registry];
  const collectors = new Set<() => void>();
  let rendered: { at: number; text: Promise<string> } | undefined;
  const apiCounts = new Map<string, { labels: { route: string; method: string; status: string }; n: number }>();
  const state = new Gauge({
    name: 'nucmesh_node_state',
    help: '1 for the current node state',
    labelNames: ['state'],
    registers,
  });
  const metrics: NodeMetrics = {
    registry,
    state,
    bootStepSeconds: new Gauge({
      name: 'nucmesh_boot_step_duration_seconds',
      help: 'How long each boot step took the last time it ran, with its outcome',
      labelNames: ['step', 'status'],
      registers,
    }),
    peers: new Gauge({
      name: 'nucmesh_peers',
      help: 'Peers in the peer table by advertised state',
      labelNames: ['state'],
      registers,
    }),
    advertsRejected: new Counter({
      name: 'nucmesh_adverts_rejected_total',
      help: 'Adverts and notices rejected, by reason',
      labelNames: ['reason'],
      registers,
    }),
    mdnsPackets: new Counter({
      name: 'nucmesh_mdns_packets_total',
      help: 'mDNS packets by direction (in, out, malformed, oversized, rate-limited)',
      labelNames: ['direction'],
      registers,
    }),
    heartbeats: new Counter({
      name: 'nucmesh_heartbeats_total',
      help: 'Heartbeats sent to peers, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    joinRequests: new Counter({
      name: 'nucmesh_join_requests_total',
      help: 'Join requests answered, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    apiRequests: new Counter({
      name: 'nucmesh_api_requests_total',
      help: 'API requests by route pattern, method and status code',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    apiAuthFailures: new Counter({
      name: 'nucmesh_api_auth_failures_total',
      help: 'API requests refused for their token, by reason (missing, wrong, forbidden, rate-limited)',
      labelNames: ['reason'],
      registers,
    }),
    countApiRequest(route, method, status) {
      const key = `${method} ${status} ${route}`;
      const c = apiCounts.get(key);
      if (c) c.n++;
      else apiCounts.set(key, { labels: { route, method, status: String(status) }, n: 1 });
    },
    setState(current) {
      for (const s of NODE_STATES) state.set({ state: s }, s === current ? 1 : 0);
    },
    onCollect(fn) {
      collectors.add(fn);
      return () => collectors.delete(fn);
    },
    setTotal(c, labels, total) {
      // prom-client counters only go up: reset the series, then add the total.
      c.remove(labels);
      c.inc(labels, total);
    },
    text(maxAgeMs = 1000) {
      const now = performance.now();
      if (rendered && now - rendered.at < maxAgeMs) return rendered.text;
      for (const c of apiCounts.values()) metrics.setTotal(metrics.apiRequests, c.labels, c.n);
      for (const fn of collectors) fn();
      const text = registry.metrics();
      rendered = { at: now, text };
      text.catch(() => (rendered = undefined));
      return text;
    },
  };
  return metrics;
}
