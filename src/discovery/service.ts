/**
 * The discovery service of a running node: advertises our signed advert, browses for peers,
 * keeps the authenticated peer table with liveness, re-signs and re-announces on every state
 * change (bumping the persisted generation), and follows interfaces as they come and go.
 */
import type { Logger } from '../log.js';
import type { NodeState, NodeStateSnapshot } from '../node/node-state.js';
import { errorMessage } from '../errors.js';
import type { AdvertFields } from './advert.js';
import { Advertiser } from './advertiser.js';
import { ServiceBrowser, type BrowserOptions } from './browser.js';
import type { DownNotice, NoticeVerdict } from '../node/notice.js';
import { DOWN_NOTICE_NAME, downNoticeFromTxt, downNoticeToTxt, judgeDownNotice, signDownNotice } from './down-notice.js';
import { createNoticeFanout } from './notice-fanout.js';
import { PROTOCOL_VERSION } from './constants.js';
import { GenerationCounter } from './generation.js';
import { createHeartbeatClient } from './heartbeat-client.js';
import { InterfaceWatcher, type DiscoveryInterface, type InterfaceMap } from './interfaces.js';
import { DEFAULT_LIVENESS, HEARTBEAT_TIMEOUT_MS, LivenessMonitor } from './liveness.js';
import { PeerTable } from './peer-table.js';

/** How long the owner of a queried SRV record has to answer before we check it ourselves. */
export const POOF_WAIT_MS = 500;
/** How long a peer that sent a goodbye has to prove it is still alive (see 'removed'). */
export const GOODBYE_CHECK_MS = 700;
/** A live peer whose mDNS records expired is checked within this long (jittered; see 'removed'). */
export const EXPIRY_CHECK_JITTER_MS = 2000;
/** Pauses before re-checking it when a check timed out (only a definite failure drops it at once). */
export const EXPIRY_RECHECK_MS: readonly number[] = [4000, 8000];

export interface DiscoveryOptions {
  nodeId: string;
  /** Instance name and host name (the node's hostname). */
  hostname: string;
  apiPort: number;
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
  const f: AdvertFields = { version: PROTOCOL_VERSION, nodeId: opts.nodeId, fleetId: opts.fleetId, state: s.state, clusterId: s.clusterId, generation };
  if (s.k3sPort !== undefined) f.k3sPort = s.k3sPort;
  return f;
}

export async function startDiscovery(opts: DiscoveryOptions): Promise<DiscoveryService> {
  const log = opts.log.child({ svc: 'discovery' });
  const counter = await GenerationCounter.open(opts.dataDir);
  let generation = await counter.next();
  const advertiser = new Advertiser({ instance: opts.hostname, hostname: opts.hostname, port: opts.apiPort, key: opts.fleetKey, log }, fieldsFrom(opts, opts.state.current, generation));
  const browser = new ServiceBrowser(opts.browser);
  const table = new PeerTable({ selfNodeId: opts.nodeId, fleetId: opts.fleetId, key: opts.fleetKey });
  const client = createHeartbeatClient({ key: opts.fleetKey, timeoutMs: HEARTBEAT_TIMEOUT_MS, onFailure: (p, reason) => log.debug({ peer: p.nodeId, reason }, 'heartbeat failed') });
  const fanout = createNoticeFanout({ timeoutMs: HEARTBEAT_TIMEOUT_MS });
  const goodbyeCheck = createHeartbeatClient({ key: opts.fleetKey, timeoutMs: GOODBYE_CHECK_MS });
  const liveness = new LivenessMonitor(table, {
    ...DEFAULT_LIVENESS,
    selfNodeId: opts.nodeId,
    intervalMs: opts.heartbeatMs,
    probe: (p) => client.probe(p),
    onSelfSuspicion: (suspected) =>
      suspected
        ? log.warn('liveness: heartbeats to several peers time out at once; suspecting this node is overloaded or cut off, not counting timeouts against peers')
        : log.info('liveness: heartbeats answered again; counting timeouts again'),
    // Sent three times (now, +1 s, +3 s), like RFC 6762 §10.5 expects repeated queries: one
    // multicast packet can be lost on a busy LAN or host. A `down` query carries our signed
    // down notice, so the whole fleet drops the peer at once (down-notice.ts).
    announceSuspicion: (p, what) => {
      log.debug({ peer: p.nodeId, what, generation: p.generation }, `telling the LAN: ${p.instance} ${what}`);
      const signed = what === 'down' ? signDownNotice(opts.fleetKey, { subject: p.nodeId, generation: p.generation, reporter: opts.nodeId, fleetId: opts.fleetId }) : undefined;
      const txt = signed ? downNoticeToTxt(signed) : undefined;
      browser.queryInstance(p.serviceKey, txt);
      for (const ms of [1000, 3000]) setTimeout(() => browser.queryInstance(p.serviceKey, txt), ms).unref();
      // And over TCP to every live peer: multicast alone can be lost (notice-fanout.ts).
      if (signed) {
        const peers = table.list().filter((x) => x.nodeId !== p.nodeId);
        void fanout.send(peers, signed).then((r) => log.info({ peer: p.nodeId, ...r }, `down notice for ${p.instance} delivered to ${r.delivered} of ${peers.length} peers over HTTP (${r.attempts} attempts)`));
      }
    },
  });
  // A verified down notice from a peer's ring monitor (by multicast or by HTTP): drop the peer
  // now; one about an older incarnation of it: check it ourselves; one about us (as we are
  // now): re-announce with a higher generation, which makes the notice old everywhere.
  let refutedUpTo = -1;
  const applyNotice = (notice: DownNotice, via: 'mdns' | 'http'): NoticeVerdict => {
    const verdict = judgeDownNotice(notice, {
      selfNodeId: opts.nodeId,
      fleetId: opts.fleetId,
      key: opts.fleetKey,
      ownGeneration: Math.max(generation, refutedUpTo + 1),
      liveGeneration: (id) => table.get(id)?.generation,
    });
    log.debug({ peer: notice.subject, reporter: notice.reporter, generation: notice.generation, verdict, via }, `down notice: ${verdict}`);
    if (verdict === 'other-fleet' || verdict === 'bad-mac') {
      table.rejectNotice({ instance: DOWN_NOTICE_NAME, nodeId: notice.subject, problem: verdict === 'bad-mac' ? `MAC does not verify with the fleet key (${via})` : `fleet ID ${notice.fleetId} is not ours (${via})` });
    } else if (verdict === 'mark-down') {
      table.markDown(notice.subject, 'reported');
    } else if (verdict === 'check') {
      // Once per suspect per cooldown, at a jittered moment (liveness.ts): replays cost little.
      liveness.suspect(notice.subject);
    } else if (verdict === 'refute') {
      refutedUpTo = notice.generation;
      log.warn({ reporter: notice.reporter, generation: notice.generation }, `reported down by ${notice.reporter} while alive: re-announcing with a higher generation`);
      serial('refuting a down notice', async () => {
        generation = await counter.next();
        advertiser.update(fieldsFrom(opts, opts.state.current, generation));
      });
    }
    return verdict;
  };
  browser.on('down-notice', (strings, iface) => {
    let notice: DownNotice;
    try {
      notice = downNoticeFromTxt(strings);
    } catch (e) {
      return table.rejectNotice({ instance: DOWN_NOTICE_NAME, problem: `${errorMessage(e).replace(/\n\s*/g, ' ')} (on ${iface})` });
    }
    applyNotice(notice, 'mdns');
  });
  browser.on('instance-query', (key, noticed) => {
    // A query that carried a down notice was dealt with by the notice (verified or not).
    if (noticed) return;
    const found = table.byServiceKey(key);
    if (!found) return;
    if (!found.live) return liveness.suspect(found.peer.nodeId);
    const heard = browser.lastHeard(key);
    const timer = setTimeout(() => {
      if (browser.lastHeard(key) === heard) liveness.suspect(found.peer.nodeId);
    }, POOF_WAIT_MS);
    timer.unref();
  });
  browser.on('service', (svc) => table.observe(svc));
  // A live peer's records going away is checked against the peer itself (authenticated
  // heartbeat) before it costs the peer its place in the table:
  // - Goodbyes are unauthenticated multicast: anyone could send one for any instance. A node
  //   that really stops fails its heartbeats first (503) or refuses, so a real goodbye still
  //   takes effect within a second; a forged one is counted and ignored.
  // - TTL expiry only says that no answer refreshed the records in time: a lossy LAN, a
  //   forged short-TTL record on purpose, or a host whose kernel drops the answers (a full
  //   neighbour table did that to every refresh in a 50-node lab, and all 49 peers expired at
  //   once on every node). A peer that answers its heartbeat stays, and the browser resolves
  //   it again. The checks are spread over EXPIRY_CHECK_JITTER_MS, since expiries come
  //   together, and a check that times out is repeated (EXPIRY_RECHECK_MS): thousands of
  //   checks at once time out on an overloaded host.
  browser.on('removed', (key, reason) => {
    const found = table.byServiceKey(key);
    if (!found?.live) return table.removeService(key, reason);
    const { peer } = found;
    if (reason === 'goodbye') {
      void goodbyeCheck.probe(peer).then((outcome) => {
        if (outcome !== 'alive') return table.removeService(key, reason);
        if (table.get(peer.nodeId)?.serviceKey !== key) return;
        table.rejectGoodbye({ instance: peer.instance, nodeId: peer.nodeId, problem: 'goodbye received, but the peer answered its heartbeat' });
      });
      return;
    }
    const expiredAt = performance.now();
    const check = (attempt: number): void =>
      void client.probe(peer).then((outcome) => {
        // Dropped or replaced meanwhile, or its records are back: nothing left to decide.
        if (table.get(peer.nodeId)?.serviceKey !== key || browser.lastHeard(key) > expiredAt) return;
        if (outcome === 'alive') {
          table.keptAfterExpiry++;
          log.debug({ peer: peer.nodeId }, `mDNS records of ${peer.instance} expired, but it answered its heartbeat: kept`);
          return;
        }
        const pause = EXPIRY_RECHECK_MS[attempt];
        if (outcome !== 'dead' && pause !== undefined) return void setTimeout(() => check(attempt + 1), pause).unref();
        table.removeService(key, reason);
      });
    setTimeout(() => check(0), Math.random() * EXPIRY_CHECK_JITTER_MS).unref();
  });
  browser.on('error', (err) => log.debug({ err: errorMessage(err) }, 'mDNS socket error'));
  table.on('peer-up', (p) => log.info({ peer: p.nodeId, instance: p.instance, state: p.state, addresses: p.addresses.map((a) => a.address) }, `peer up: ${p.instance}`));
  table.on('peer-changed', (p, prev) => log.info({ peer: p.nodeId, state: p.state, was: prev.state, generation: p.generation }, `peer changed: ${p.instance}`));
  table.on('peer-down', (p, reason) => log.info({ peer: p.nodeId, reason }, `peer down: ${p.instance} (${reason})`));
  table.on('rejected', (kind, info) => log.warn({ kind, ...info }, `advert rejected: ${kind}`));

  const watcher = new InterfaceWatcher(opts.interfaces, opts.readInterfaces);
  let chain: Promise<void> = Promise.resolve();
  const serial = (what: string, fn: () => Promise<void>): void => {
    chain = chain.then(fn).catch((err: unknown) => log.error({ err: errorMessage(err) }, `discovery: ${what} failed`));
  };
  const add = (i: DiscoveryInterface): void =>
    serial(`adding ${i.name}`, async () => {
      log.info({ iface: i.name, address: i.ipv4 }, 'interface up: browsing and advertising');
      await browser.addInterface(i);
      await advertiser.addInterface(i);
    });
  const remove = (i: DiscoveryInterface): void =>
    serial(`removing ${i.name}`, async () => {
      log.info({ iface: i.name }, 'interface gone');
      await advertiser.removeInterface(i.name, false);
      await browser.removeInterface(i.name);
    });
  watcher.on('added', add);
  watcher.on('removed', remove);
  browser.start();
  watcher.start(opts.interfacePollMs ?? 2000);
  if (watcher.current.length === 0) log.warn({ wanted: opts.interfaces }, 'no usable network interface yet; waiting for one');
  await chain;
  liveness.start();

  const onState = (s: NodeStateSnapshot): void =>
    serial('re-announcing', async () => {
      generation = await counter.next();
      advertiser.update(fieldsFrom(opts, s, generation));
      log.info({ state: s.state, generation }, 'advert updated');
    });
  opts.state.on('change', onState);

  return {
    table,
    browser,
    advertiser,
    liveness,
    generation: () => generation,
    applyNotice: (n) => applyNotice(n, 'http'),
    async stop() {
      opts.state.off('change', onState);
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
