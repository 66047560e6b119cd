/**
 * The join exchange in a running node: the joiner's port (src/cluster/join-client.ts over the
 * API transport) and, on a cluster server, the join server the API's /v1/join routes use. The
 * seed keeps the join ledger (it grants the server slots); every other server refers joiners to
 * the node that granted its own role (the seed), except that once the cluster has all its servers
 * in sight any server gives the agent role, so agents still join when the seed is down.
 */
import type { Logger } from '../log.js';
import type { NodeMetrics } from '../node/metrics.js';
import { serverCount, type FleetConfig } from '../config/fleet.js';
import { fleetId, fleetKeyBytes } from '../node/fleet-crypto.js';
import { requestJoin, JoinError, type JsonPost } from '../cluster/join-client.js';
import { createJoinServer, type JoinServer, type JoinTokens } from '../cluster/join-server.js';
import type { Registrar } from '../cluster/join-registrar.js';
import type { ClusterNetwork, JoinAnswer, JoinPort } from '../cluster/ports.js';
import { serversOf } from '../cluster/cluster-view.js';

/**
 * `post(pin)` gives the transport to a peer: pinned HTTPS when its advert carries a certificate
 * pin, plain HTTP (only loopback answers it) when not.
 */
export function joinPort(o: {
  config: Readonly<FleetConfig>;
  nodeId: string;
  post(pin: string | undefined): JsonPost;
}): JoinPort {
  const fleetKey = fleetKeyBytes(o.config);
  const fid = fleetId(o.config.key);
  return {
    async request(peer, signal): Promise<JoinAnswer> {
      try {
        const g = await requestJoin({
          fleetKey,
          fleetId: fid,
          nodeId: o.nodeId,
          peer,
          post: o.post(peer.certPin),
          scheme: peer.certPin !== undefined ? 'https' : 'http',
          signal,
        });
        if (g.clusterId !== peer.clusterId)
          return { kind: 'failed', reason: `it answered for cluster ${g.clusterId}, not ${peer.clusterId}` };
        return {
          kind: 'granted',
          secret: { role: g.role, serverUrl: g.serverUrl, token: g.token, grantedBy: peer.nodeId },
        };
      } catch (err) {
        if (!(err instanceof JoinError)) throw err;
        if (err.reason === 'wait') return { kind: 'wait', ms: err.retryAfterMs ?? 5000 };
        if (err.reason === 'ask-registrar' && err.registrarNodeId) return { kind: 'ask', nodeId: err.registrarNodeId };
        return { kind: 'failed', reason: err.message };
      }
    },
  };
}

/** A server that is not the registrar: agents when every server slot is filled and in sight, else "ask the seed". */
export function referringRegistrar(o: {
  registrarNodeId: string;
  servers: number;
  clusterId: string;
  net: ClusterNetwork;
  selfIsServer: boolean;
}): Registrar {
  return {
    async assign(nodeId) {
      const others = serversOf(o.net.peers(), o.clusterId).filter((p) => p.nodeId !== nodeId).length;
      if (others + (o.selfIsServer ? 1 : 0) >= o.servers) return { kind: 'agent' };
      return { kind: 'ask', registrarNodeId: o.registrarNodeId };
    },
  };
}

export interface JoinServerWiring {
  config: Readonly<FleetConfig>;
  nodeId: string;
  dataDir: string;
  clusterId: string;
  /** The seed keeps the ledger; other servers name the node that granted them their role. */
  registrarNodeId: string | 'self';
  serverUrl: string;
  tokens(): Promise<JoinTokens>;
  net: ClusterNetwork;
  log: Logger;
  /** Is the joiner marked by the cluster to become a server (a lost server's replacement)? */
  promoted?(nodeId: string): Promise<boolean>;
  /** Where the join outcomes are counted (GET /metrics). */
  metrics?: NodeMetrics;
}

export function clusterJoinServer(w: JoinServerWiring): JoinServer {
  const isServerReady = (id: string): boolean => serversOf(w.net.peers(), w.clusterId).some((p) => p.nodeId === id);
  return createJoinServer({
    fleetKey: fleetKeyBytes(w.config),
    fleetId: fleetId(w.config.key),
    nodeId: w.nodeId,
    dataDir: w.dataDir,
    servers: serverCount(w.config),
    clusterId: w.clusterId,
    serverUrl: () => w.serverUrl,
    tokens: w.tokens,
    isServerReady,
    log: w.log,
    ...(w.metrics ? { metrics: w.metrics } : {}),
    registrarNodeId: w.registrarNodeId === 'self' ? w.nodeId : w.registrarNodeId,
    ...(w.promoted ? { promoted: w.promoted } : {}),
    ...(w.registrarNodeId === 'self'
      ? {}
      : {
          registrar: referringRegistrar({
            registrarNodeId: w.registrarNodeId,
            servers: serverCount(w.config),
            clusterId: w.clusterId,
            net: w.net,
            selfIsServer: true,
          }),
        }),
  });
}
