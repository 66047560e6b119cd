/**
 * The cluster part of a running node, put together: the k3s driver for the agent's k3s options,
 * the ports the cluster steps act through (peers, election, join, k3s), the node's own k3s
 * parameters (name, address on the discovery interface, hardware labels, certificate names),
 * and, once the node is a server, the join server behind the API's /v1/join routes.
 */
import os from 'node:os';
import type { Logger } from '../log.js';
import type { FleetConfig } from '../config/fleet.js';
import type { NodeState } from '../node/node-state.js';
import type { NodeMetrics } from '../node/metrics.js';
import type { DiscoveryService } from '../discovery/service.js';
import { selectInterfaces } from '../discovery/interfaces.js';
import type { Inventory } from '../firstboot/hardware/types.js';
import type { NodeIdentity } from '../firstboot/identity.js';
import { nodeLabels } from '../firstboot/labels.js';
import { createK3sDriver } from '../cluster/k3s-driver.js';
import { pinnedHttpsPost, plainHttpPost } from '../cluster/json-post.js';
import type { ClusterContext } from '../cluster/cluster-context.js';
import type { JoinServer } from '../cluster/join-server.js';
import type { K3sNodeParams } from '../cluster/ports.js';
import { K3S_API_PORT } from '../cluster/steps/ready.js';
import { k3sOptionsOf, type AgentOptions } from './options.js';
import type { Notifier } from './systemd-notify.js';
import { clusterNetwork } from './cluster-peers.js';
import { electionPort } from './cluster-election.js';
import { clusterJoinServer, joinPort } from './cluster-join.js';
import { k3sPort } from './cluster-k3s.js';
import { runCluster } from './cluster-run.js';
import { prepareRejoin, type RejoinOutcome } from '../cluster/rejoin.js';

export interface ClusterPartOptions {
  options: AgentOptions;
  config: Readonly<FleetConfig>;
  identity: NodeIdentity;
  inventory: Inventory | undefined;
  discovery: DiscoveryService;
  state: NodeState;
  log: Logger;
  signal: AbortSignal;
  notifier: Notifier | undefined;
  /** Given the join server once this node is a server of its cluster. */
  onJoinServer(server: JoinServer): void;
  /** The registry the join server counts its outcomes in. */
  metrics?: NodeMetrics;
}

export interface ClusterPart {
  /** The role this node has or is taking in its cluster (a seed is a server); null before it is decided. */
  role(): 'server' | 'agent' | null;
  /** Stops the cluster steps under way (and waits for them), the conflict watch and the election. */
  stop(): Promise<void>;
  /**
   * After stop(): what `nucmesh reset --rejoin` does (src/cluster/rejoin.ts): k3s stopped and its
   * state wiped, the cluster and its tokens forgotten, and the cluster to join (if given) left as
   * a request for the next cluster part's `decide`.
   */
  forget(clusterId: string | undefined): Promise<RejoinOutcome>;
}

/** The IPv4 address of the first interface discovery uses: k3s' node-ip (no default route to pick one by). */
export function nodeAddress(o: Pick<ClusterPartOptions, 'options' | 'config'>): string {
  const wanted = o.options.interfaces.length > 0 ? o.options.interfaces : o.config.discovery.interfaces;
  return selectInterfaces(os.networkInterfaces(), wanted)[0]?.ipv4 ?? '127.0.0.1';
}

export function startClusterPart(o: ClusterPartOptions): ClusterPart {
  const { options, config, identity, log } = o;
  // Its own signal besides the agent's: a rejoin stops this part while the agent runs on.
  const own = new AbortController();
  const signal = AbortSignal.any([o.signal, own.signal]);
  const k3s = k3sOptionsOf(options);
  const driver = createK3sDriver({
    mode: k3s.mode,
    log,
    bin: k3s.bin,
    configFile: k3s.configFile,
    dataDir: k3s.dataDir,
    kubeconfig: k3s.kubeconfig,
  });
  const net = clusterNetwork(o.discovery);
  const nodeIp = nodeAddress(o);
  const node: K3sNodeParams = {
    nodeName: identity.hostname,
    nodeIp,
    labels: o.inventory ? nodeLabels(o.inventory) : {},
    tlsSans: [nodeIp, identity.hostname, `${identity.hostname}.local`],
  };
  const ctx: ClusterContext = {
    log,
    dataDir: options.dataDir,
    nodeId: identity.nodeId,
    config,
    state: o.state,
    net,
    election: electionPort({
      config,
      nodeId: identity.nodeId,
      net,
      onPeersChange: net.onChange,
      state: o.state,
      reannounce: () => o.discovery.advertiser.reannounce(),
      log,
    }),
    join: joinPort({
      config,
      nodeId: identity.nodeId,
      post: (pin) => (pin !== undefined ? pinnedHttpsPost(pin) : plainHttpPost()),
    }),
    k3s: k3sPort(driver, config),
    node,
    signal,
    onReady(role, clusterId) {
      o.notifier?.ready(`${role} of cluster ${clusterId}`);
      if (role === 'agent' || !ctx.record) return;
      const registrar = ctx.record.formation === 'seed' ? 'self' : (ctx.secret?.grantedBy ?? 'self');
      o.onJoinServer(
        clusterJoinServer({
          config,
          nodeId: identity.nodeId,
          dataDir: options.dataDir,
          clusterId,
          registrarNodeId: registrar,
          serverUrl: `https://${nodeIp}:${K3S_API_PORT}`,
          tokens: () => driver.tokens(),
          net,
          log,
          ...(o.metrics ? { metrics: o.metrics } : {}),
        }),
      );
    },
  };
  const run = runCluster(ctx, net.onChange, log, o.state);
  const port = ctx.k3s;
  return {
    role() {
      const role = ctx.role ?? ctx.secret?.role ?? (ctx.record?.formation === 'seed' ? 'seed' : undefined);
      return role === 'seed' ? 'server' : (role ?? null);
    },
    async stop() {
      own.abort();
      run.stop();
      ctx.election.done();
      await run.member.catch(() => false);
      await driver.close();
    },
    forget: (clusterId) => prepareRejoin(options.dataDir, clusterId, port),
  };
}
