/**
 * Discovery on a running node, from its fleet config: the options of the discovery service and
 * the API's view of it. The agent uses these pieces; `startNodeDiscovery` puts them together
 * with an API server of its own for the netns tests and the benchmark, which run many
 * discovery nodes with explicit identities.
 */
import type { Logger } from '../log.js';
import type { FleetConfig } from '../config/fleet.js';
import { fleetId, fleetKeyBytes } from '../node/fleet-crypto.js';
import type { NodeState } from '../node/node-state.js';
import { buildApp, type PeerEndpoints } from '../api/app.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import { ensureNodeCertificate } from '../api/node-cert.js';
import type { NodeMetrics } from '../node/metrics.js';
import { startDiscovery, type DiscoveryOptions, type DiscoveryService } from '../discovery/service.js';
import type { BrowserOptions } from '../discovery/browser.js';

export interface NodeDiscoveryOptions {
  config: Readonly<FleetConfig>;
  nodeId: string;
  hostname: string;
  dataDir: string;
  /** Interface names; empty means the fleet config's list, else every physical interface. */
  interfaces: string[];
  apiPort?: number;
  state: NodeState;
  log: Logger;
  version: string;
  browser?: BrowserOptions;
  metrics?: NodeMetrics;
}

/** The discovery service's options for this node, advertising the API on `apiPort`. */
export function discoveryOptions(
  o: Omit<NodeDiscoveryOptions, 'apiPort' | 'version'>,
  apiPort: number,
  certPin?: string,
): DiscoveryOptions {
  return {
    nodeId: o.nodeId,
    hostname: o.hostname,
    apiPort,
    ...(certPin !== undefined ? { certPin } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
    fleetId: fleetId(o.config.key),
    fleetKey: fleetKeyBytes(o.config),
    dataDir: o.dataDir,
    interfaces: o.interfaces.length > 0 ? o.interfaces : [...o.config.discovery.interfaces],
    state: o.state,
    log: o.log,
    heartbeatMs: o.config.discovery.heartbeatSeconds * 1000,
    ...(o.browser ? { browser: o.browser } : {}),
  };
}

/** The API's peer routes served by a running discovery service. */
export function peerEndpoints(d: DiscoveryService, fleetKey: Buffer): PeerEndpoints {
  return { fleetKey, generation: () => d.generation(), downNotice: (n) => d.applyNotice(n) };
}

export interface NodeDiscovery {
  api: ApiServer;
  discovery: DiscoveryService;
  stop(): Promise<void>;
}

export async function startNodeDiscovery(o: NodeDiscoveryOptions): Promise<NodeDiscovery> {
  let stopping = false;
  const running: { peers?: PeerEndpoints } = {};
  const app = buildApp(
    {
      nodeId: () => o.nodeId,
      version: o.version,
      state: () => o.state.current,
      stopping: () => stopping,
      peers: () => running.peers,
    },
    { docs: false },
  );
  const cert = await ensureNodeCertificate(o.dataDir, { hostname: o.hostname });
  const port = o.apiPort ?? o.config.api.port;
  const api = await startApiServer(app, { host: o.config.api.bind, port, tls: cert });
  o.log.info({ port: api.port, bind: o.config.api.bind }, 'API listening');
  let discovery: DiscoveryService;
  try {
    discovery = await startDiscovery(discoveryOptions(o, api.port, cert.fingerprint));
  } catch (e) {
    await api.close();
    throw e;
  }
  running.peers = peerEndpoints(discovery, fleetKeyBytes(o.config));
  return {
    api,
    discovery,
    async stop() {
      stopping = true;
      await discovery.stop();
      await api.close();
    },
  };
}
