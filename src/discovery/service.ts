/**
 * The discovery service of a running node, as wiring: advertises our signed advert, browses
 * for peers, keeps the authenticated peer table with liveness, re-signs and re-announces when
 * what the advert carries changes (state, cluster, k3s port; bumping the persisted generation),
 * and follows interfaces as they come and go. The decisions live in their own modules: what to do with down notices
 * (notice-policy.ts), with peers whose records went away (removal-policy.ts) and with other
 * hosts' queries for a peer (poof.ts).
 */
import { componentLogger, type Logger } from '../log.js';
import type { NodeMetrics } from '../node/metrics.js';
import { errorMessage } from '../errors.js';
import { sameAdvertised, type NodeState, type NodeStateSnapshot } from '../node/node-state.js';
import type { DownNotice, NoticeVerdict } from '../node/notice.js';
import type { AdvertFields } from './advert.js';
import { Advertiser } from './advertiser.js';
import { ServiceBrowser, type BrowserOptions } from './browser.js';
import { PROTOCOL_VERSION } from './constants.js';
import { GenerationCounter } from './generation.js';
import { createHeartbeatClient } from './heartbeat-client.js';
import { InterfaceWatcher, type DiscoveryInterface, type InterfaceMap } from './interfaces.js';
import { DEFAULT_LIVENESS, HEARTBEAT_TIMEOUT_MS, LivenessMonitor } from './liveness.js';
import { createNoticeFanout } from './notice-fanout.js';
import { createNoticePolicy } from './notice-policy.js';
import { PeerTable } from './peer-table.js';
import { createPoof } from './poof.js';
import { createRemovalPolicy, GOODBYE_CHECK_MS } from './removal-policy.js';

export interface DiscoveryOptions {
  nodeId: string;
  /** Instance name and host name (the node's hostname). */
  hostname: string;
  apiPort: number;
  /** Pin of the API certificate (node/cert-pin.ts), advertised so peers can pin it. */
  certPin?: string;
  /** Where discovery's counters are exported (GET /metrics). */
  metrics?: NodeMetrics;
  fleetId: string;
  fleetKey: Buffer;
  dataDir: string;
  /** Interface names; empty means every physical interface. */
  interfaces: string[];
  state: NodeState;
  log: Logger;
  heartbeatMs: number;
  /** How often to look for interface changes. */
  interfacePollMs?: number;
  readInterfaces?: () => InterfaceMap;
  browser?: BrowserOptions;
}

export interface DiscoveryService {
  table: PeerTable;
  browser: ServiceBrowser;
  advertiser: Advertiser;
  liveness: LivenessMonitor;
  generation(): number;
  /** Judge and apply a down notice received over HTTP (`POST /v1/down-notice`). */
  applyNotice(notice: DownNotice): NoticeVerdict;
  /** Mark the node as stopping (heartbeats fail from now on), send goodbyes, close everything. */
  stop(): Promise<void>;
}

function fieldsFrom(opts: DiscoveryOptions, s: Readonly<NodeStateSnapshot>, generation: number): AdvertFields {
  const f: AdvertFields = {
    version: PROTOCOL_VERSION,
    nodeId: opts.nodeId,
    fleetId: opts.fleetId,
    state: s.state,
    clusterId: s.clusterId,
    generation,
  };
  if (s.k3sPort !== undefined) f.k3sPort = s.k3sPort;
  if (s.supports !== undefined) f.supports = s.supports;
  if (s.supportsIndirect) f.supportsIndirect = true;
  if (opts.certPin !== undefined) f.certPin = opts.certPin;
  return f;
}

const SELF_SUSPECTED =
  'liveness: heartbeats to several peers time out at once; suspecting this node is overloaded or cut off, ' +
  'not counting timeouts against peers';

/** One log line per peer table event. */
function logTableEvents(table: PeerTable, log: Logger): void {
  table.on('peer-up', (p) => {
    const addresses = p.addresses.map((a) => a.address);
    log.info({ peer: p.nodeId, instance: p.instance, state: p.state, addresses }, `peer up: ${p.instance}`);
  });
  table.on('peer-changed', (p, prev) => {
    const fields = { peer: p.nodeId, state: p.state, was: prev.state, generation: p.generation };
    log.info(fields, `peer changed: ${p.instance}`);
  });
  table.on('peer-down', (p, reason) => log.info({ peer: p.nodeId, reason }, `peer down: ${p.instance} (${reason})`));
  table.on('rejected', (kind, info) => log.warn({ kind, ...info }, `advert rejected: ${kind}`));
}

/** Discovery's own counters (peer table, mDNS channel) into the metrics registry, read at each scrape. */
function exportCounters(m: NodeMetrics, parts: () => { table: PeerTable; browser: ServiceBrowser }): () => void {
  const collect = (): void => {
    const { table, browser } = parts();
    m.peers.reset();
    for (const p of table.list()) m.peers.inc({ state: p.state });
    for (const [reason, n] of Object.entries(table.counters)) m.setTotal(m.advertsRejected, { reason }, n);
    const c = browser.counters;
    const packets = {
      in: c.received,
      out: c.sent,
      malformed: c.malformed,
      oversized: c.oversized,
      'rate-limited': c.rateLimited,
    };
    for (const [direction, n] of Object.entries(packets)) m.setTotal(m.mdnsPackets, { direction }, n);
  };
  return m.onCollect(collect);
}

export async function startDiscovery(opts: DiscoveryOptions): Promise<DiscoveryService> {
  const log = componentLogger(opts.log, 'discovery');
  const { nodeId, fleetId, fleetKey } = opts;
  const counter = await GenerationCounter.open(opts.dataDir);
  let generation = await counter.next();

  // Changes to what we advertise, one at a time, in order.
  let chain: Promise<void> = Promise.resolve();
  const serial = (what: string, fn: () => Promise<void>): void => {
    chain = chain.then(fn).catch((err: unknown) => log.error({ err: errorMessage(err) }, `discovery: ${what} failed`));
  };
  const reannounce = async (s: Readonly<NodeStateSnapshot>): Promise<void> => {
    generation = await counter.next();
    advertiser.update(fieldsFrom(opts, s, generation));
  };

  const advertiser = new Advertiser(
    { instance: opts.hostname, hostname: opts.hostname, port: opts.apiPort, key: fleetKey, log },
    fieldsFrom(opts, opts.state.current, generation),
  );
  const table = new PeerTable({ selfNodeId: nodeId, fleetId, key: fleetKey });
  const heartbeats = createHeartbeatClient({
    key: fleetKey,
    timeoutMs: HEARTBEAT_TIMEOUT_MS,
    onFailure: (p, reason) => log.debug({ peer: p.nodeId, reason }, 'heartbeat failed'),
  });
  const m = opts.metrics;
  const client = {
    probe: async (p: Parameters<typeof heartbeats.probe>[0]) => {
      const outcome = await heartbeats.probe(p);
      m?.heartbeats.inc({ outcome });
      return outcome;
    },
    close: () => heartbeats.close(),
  };
  const unexport = m ? exportCounters(m, () => ({ table, browser })) : undefined;
  const goodbyeCheck = createHeartbeatClient({ key: fleetKey, timeoutMs: GOODBYE_CHECK_MS });
  const fanout = createNoticeFanout({ timeoutMs: HEARTBEAT_TIMEOUT_MS });
  // The notice policy is made below; the browser and liveness reach it only once running.
  const browser = new ServiceBrowser({
    ...opts.browser,
    onQueryExtras: (records, iface) => notices.fromQuery(records, iface),
  });
  const liveness = new LivenessMonitor(table, {
    ...DEFAULT_LIVENESS,
    selfNodeId: nodeId,
    intervalMs: opts.heartbeatMs,
    probe: (p) => client.probe(p),
    onSelfSuspicion: (suspected) =>
      suspected ? log.warn(SELF_SUSPECTED) : log.info('liveness: heartbeats answered again; counting timeouts again'),
    announceSuspicion: (p, what) => notices.announce(p, what),
  });
  const notices = createNoticePolicy({
    selfNodeId: nodeId,
    fleetId,
    fleetKey,
    table,
    generation: () => generation,
    suspect: (id) => liveness.suspect(id),
    refute: () => serial('refuting a down notice', () => reannounce(opts.state.current)),
    queryInstance: (key, additionals) => browser.queryInstance(key, additionals),
    fanout,
    log,
  });
  const lastHeard = (key: string): number => browser.lastHeard(key);
  browser.on('instance-query', createPoof({ table, lastHeard, suspect: (id) => liveness.suspect(id) }));
  browser.on('service', (svc) => table.observe(svc));
  const removed = createRemovalPolicy({
    table,
    goodbyeProbe: (p) => goodbyeCheck.probe(p),
    probe: (p) => client.probe(p),
    lastHeard,
    log,
  });
  browser.on('removed', removed);
  browser.on('error', (err) => log.debug({ err: errorMessage(err) }, 'mDNS socket error'));
  logTableEvents(table, log);

  const watcher = new InterfaceWatcher(opts.interfaces, opts.readInterfaces);
  watcher.on('added', (i: DiscoveryInterface) =>
    serial(`adding ${i.name}`, async () => {
      log.info({ iface: i.name, address: i.ipv4 }, 'interface up: browsing and advertising');
      await browser.addInterface(i);
      await advertiser.addInterface(i);
    }),
  );
  watcher.on('removed', (i: DiscoveryInterface) =>
    serial(`removing ${i.name}`, async () => {
      log.info({ iface: i.name }, 'interface gone');
      await advertiser.removeInterface(i.name, false);
      await browser.removeInterface(i.name);
    }),
  );
  browser.start();
  watcher.start(opts.interfacePollMs ?? 2000);
  if (watcher.current.length === 0) {
    log.warn({ wanted: opts.interfaces }, 'no usable network interface yet; waiting for one');
  }
  await chain;
  liveness.start();

  // Only what the advert carries: a new detail or boot step is nothing for the peers.
  const onState = (s: NodeStateSnapshot, prev: NodeStateSnapshot): void => {
    if (sameAdvertised(s, prev)) return;
    serial('re-announcing', async () => {
      await reannounce(s);
      log.info({ state: s.state, generation }, 'advert updated');
    });
  };
  opts.state.on('change', onState);

  return {
    table,
    browser,
    advertiser,
    liveness,
    generation: () => generation,
    applyNotice: (n) => notices.apply(n, 'http'),
    async stop() {
      opts.state.off('change', onState);
      unexport?.();
      watcher.stop();
      liveness.stop();
      await chain;
      await advertiser.stop();
      await browser.stop();
      client.close();
      goodbyeCheck.close();
      fanout.close();
    },
  };
}
