/**
 * Everything discovery needs on a running node, started together: the API server (health and
 * the authenticated heartbeat peers probe) and the discovery service. The agent calls this
 * from `startServices` once the node identity is known; tests and the benchmark call it with
 * explicit identities.
 */
import type { Logger } from '../log.js';
import { fleetId, fleetKeyBytes, type FleetConfig } from '../config/fleet.js';
import type { NodeState } from '../firstboot/node-state.js';
import { buildApp } from '../api/app.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import { startDiscovery, type DiscoveryService } from './service.js';
import type { BrowserOptions } from './browser.js';

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
}

export interface NodeDiscovery {
  api: ApiServer;
  discovery: DiscoveryService;
  stop(): Promise<void>;
}

export async function startNodeDiscovery(o: NodeDiscoveryOptions): Promise<NodeDiscovery> {
  const key = fleetKeyBytes(o.config);
  let stopping = false;
  let discovery: DiscoveryService | undefined;
  const app = buildApp({
    nodeId: o.nodeId,
    version: o.version,
    fleetKey: key,
    state: () => o.state.current.state,
    generation: () => discovery?.generation() ?? 0,
    stopping: () => stopping,
    downNotice: (n) => discovery?.applyNotice(n),
  });
  const api = await startApiServer(app, o.config.api.bind, o.apiPort ?? o.config.api.port);
  o.log.info({ port: api.port, bind: o.config.api.bind }, 'API listening');
  try {
    discovery = await startDiscovery({
      nodeId: o.nodeId,
      hostname: o.hostname,
      apiPort: api.port,
      fleetId: fleetId(o.config.key),
      fleetKey: key,
      dataDir: o.dataDir,
      interfaces: o.interfaces.length > 0 ? o.interfaces : [...o.config.discovery.interfaces],
      state: o.state,
      log: o.log,
      heartbeatMs: o.config.discovery.heartbeatSeconds * 1000,
      ...(o.browser ? { browser: o.browser } : {}),
    });
  } catch (e) {
    await api.close();
    throw e;
  }
  const d = discovery;
  return {
    api,
    discovery: d,
    async stop() {
      stopping = true;
      await d.stop();
      await api.close();
    },
  };
}
