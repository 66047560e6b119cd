/**
 * The cluster part of a running node, put together: the k3s driver for the agent's k3s options,
 * the ports the cluster steps act through (peers, election, join, k3s), the node's own k3s
 * parameters (name, address on the discovery interface, hardware labels, certificate names),
 * and, once the node is a server, the join server behind the API's /v1/join routes. Once a
 * member, the cluster's life (src/cluster/cluster-life.ts) runs on the Kubernetes API: labels
 * refreshed from the hardware, a lost server replaced (servers keep the replacement Lease; a
 * chosen agent becomes a server here), quorum loss reported; and `leave` takes the node out.
 */
import os from 'node:os';
import type { Logger } from '../log.js';
import type { FleetConfig } from '../config/fleet.js';
import type { NodeState } from '../node/node-state.js';
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
import { NucmeshError, errorMessage } from '../errors.js';
import { detectInventory } from '../firstboot/hardware/index.js';
import { replaceAfterSeconds, serverCount } from '../config/fleet.js';
import { compareRank } from '../cluster/election.js';
import { kubeApiFromFile } from '../cluster/kube-api.js';
import { NODE_ID_LABEL, type ClusterMember } from '../cluster/members.js';
import { startClusterLife, type ClusterLife } from '../cluster/cluster-life.js';
import { createServerKeeper, markedForPromotion } from '../cluster/server-keeper.js';
import { checkLeave, leaveCluster } from '../cluster/leave.js';
import { prepareRejoin, type RejoinOutcome } from '../cluster/rejoin.js';
import type { NodeMetrics } from '../node/metrics.js';
import { readLeft, recordLeft } from '../cluster/cluster-record.js';
import type { ClusterRole } from '../cluster/ports.js';
import { k3sOptionsOf, type AgentOptions } from './options.js';
import type { Notifier } from './systemd-notify.js';
import { clusterNetwork } from './cluster-peers.js';
import { electionPort } from './cluster-election.js';
import { clusterJoinServer, joinPort } from './cluster-join.js';
import { k3sPort } from './cluster-k3s.js';
import { runCluster } from './cluster-run.js';

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
  /** Given the join server once this node is a server of its cluster (undefined once it left). */
  onJoinServer(server: JoinServer | undefined): void;
  /** Told the inventory read again for the labels (the API shows the same). */
  onInventory?(inventory: Inventory): void;
  /** The registry the join server counts its outcomes in. */
  metrics?: NodeMetrics;
}

export interface ClusterPart {
  /** The role this node has or is taking in its cluster (a seed is a server); null before it is decided. */
  role(): 'server' | 'agent' | null;
  /** The cluster's members as this node last read them from the Kubernetes API. */
  members(): readonly ClusterMember[] | undefined;
  /**
   * Leaves the cluster (src/cluster/leave.ts): E_LEAVE_REFUSED at once when it may not (why in the
   * message), else `done` settles once drained, deleted and wiped (state `left`).
   */
  leave(): Promise<{ done: Promise<void> }>;
  /** Stops the cluster steps under way (and waits for them), the cluster life, the conflict watch, the election. */
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

const DEFAULT_INVENTORY_REFRESH_S = 300;

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
  const labelsOf = (inv: Inventory | undefined): Record<string, string> => ({
    ...(inv ? nodeLabels(inv) : {}),
    [NODE_ID_LABEL]: identity.nodeId,
  });
  const node: K3sNodeParams = {
    nodeName: identity.hostname,
    nodeIp,
    labels: labelsOf(o.inventory),
    tlsSans: [nodeIp, identity.hostname, `${identity.hostname}.local`],
  };
  const port = k3sPort(driver, config);
  const election = electionPort({
    config,
    nodeId: identity.nodeId,
    net,
    onPeersChange: net.onChange,
    state: o.state,
    reannounce: () => o.discovery.advertiser.reannounce(),
    log,
  });
  const join = joinPort({
    config,
    nodeId: identity.nodeId,
    post: (pin) => (pin !== undefined ? pinnedHttpsPost(pin) : plainHttpPost()),
  });
  let life: ClusterLife | undefined;
  let run: ReturnType<typeof runCluster> | undefined;
  let ctx: ClusterContext;
  let stopped = false;
  let leaving = false;

  const apiFor = (role: ClusterRole) => kubeApiFromFile(driver.kubeconfigFor(role));
  const refreshS = options.inventoryRefreshSeconds ?? DEFAULT_INVENTORY_REFRESH_S;
  const freshLabels = async (): Promise<Record<string, string>> => {
    const from = options.hardwareFrom;
    const inv = await detectInventory(from !== undefined ? { from } : {});
    o.onInventory?.(inv);
    return { ...labelsOf(inv), ...config.k3s.nodeLabels };
  };

  function startLife(role: ClusterRole, clusterId: string): void {
    if (stopped || leaving) return;
    const keeper =
      role === 'agent'
        ? undefined
        : createServerKeeper({
            nodeId: identity.nodeId,
            nodeName: identity.hostname,
            policy: {
              servers: serverCount(config),
              replaceAfterMs: replaceAfterSeconds(config) * 1000,
              rank: compareRank(config.preferredServers),
            },
            log,
            signal,
          });
    life = startClusterLife({
      role: role === 'agent' ? 'agent' : 'server',
      clusterId,
      nodeName: identity.hostname,
      nodeId: identity.nodeId,
      dataDir: options.dataDir,
      servers: serverCount(config),
      api: apiFor(role),
      net,
      state: o.state,
      log,
      labels: freshLabels,
      labelRefreshMs: refreshS * 1000,
      ...(keeper ? { keep: (api, members, view) => keeper.keep(api, members, view) } : {}),
      onPromote: (by) => void promote(by, clusterId),
    });
  }

  /** A server chose this agent to replace a lost server: join again, as a server. */
  async function promote(by: string, clusterId: string): Promise<void> {
    try {
      await life?.stop();
      life = undefined;
      run?.stop();
      o.state.set({
        state: 'joining',
        clusterId,
        detail: `chosen by ${by} to replace a lost server: joining cluster ${clusterId} as a server`,
      });
      await prepareRejoin(options.dataDir, clusterId, port);
      if (!stopped) startRun();
    } catch (e) {
      log.error({ err: errorMessage(e), by }, 'becoming a server failed; the cluster steps will be retried');
      if (!stopped) startRun();
    }
  }

  function newContext(): ClusterContext {
    const c: ClusterContext = {
      log,
      dataDir: options.dataDir,
      nodeId: identity.nodeId,
      config,
      state: o.state,
      net,
      election,
      join,
      k3s: port,
      node,
      signal,
      onReady(role, clusterId) {
        o.notifier?.ready(`${role} of cluster ${clusterId}`);
        startLife(role, clusterId);
        if (role === 'agent' || !c.record) return;
        const registrar = c.record.formation === 'seed' ? 'self' : (c.secret?.grantedBy ?? 'self');
        const admin = apiFor(role);
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
            promoted: async (nodeId) => (await markedForPromotion(await admin(), nodeId)) !== undefined,
            ...(o.metrics ? { metrics: o.metrics } : {}),
          }),
        );
      },
    };
    return c;
  }

  function startRun(): void {
    ctx = newContext();
    run = runCluster(ctx, net.onChange, log, o.state);
  }

  void (async () => {
    // `nucmesh reset --rejoin` removes the mark (rejoin.ts).
    const left = await readLeft(options.dataDir).catch(() => undefined);
    if (left) {
      const detail = `left cluster ${left.clusterId} at ${left.at} (nucmesh leave); \`nucmesh reset --rejoin CLUSTER-ID\` joins one again`;
      o.state.set({ state: 'left', clusterId: '', detail });
      return;
    }
    if (!stopped) startRun();
  })();

  return {
    role() {
      const role = ctx?.role ?? ctx?.secret?.role ?? (ctx?.record?.formation === 'seed' ? 'seed' : undefined);
      return role === 'seed' ? 'server' : (role ?? null);
    },
    members: () => life?.members(),
    async leave() {
      const role = ctx?.role;
      const clusterId = ctx?.record?.clusterId;
      if (!role || !clusterId || !life || leaving)
        throw new NucmeshError(
          'E_LEAVE_REFUSED',
          leaving ? 'the node is leaving already' : 'the node is no cluster member',
          {
            data: { state: o.state.current.state },
          },
        );
      const api = await apiFor(role)();
      await checkLeave(api, identity.hostname, role === 'agent' ? 'agent' : 'server');
      leaving = true;
      await life.stop();
      life = undefined;
      run?.stop();
      const k3sPortNow = o.state.current.k3sPort;
      const done = (async () => {
        try {
          await leaveCluster(api, {
            nodeName: identity.hostname,
            role: role === 'agent' ? 'agent' : 'server',
            log,
            progress: (what) => o.state.set({ state: 'leaving', clusterId, detail: what }),
          });
          o.state.set({ state: 'leaving', clusterId, detail: 'Node deleted; stopping and wiping k3s' });
          o.onJoinServer(undefined);
          await port.stop();
          await port.wipe();
          await recordLeft(options.dataDir, clusterId, new Date());
          const detail = `left cluster ${clusterId}; \`nucmesh reset --rejoin CLUSTER-ID\` joins one again`;
          o.state.set({ state: 'left', clusterId: '', detail });
          log.info({ clusterId }, `left cluster ${clusterId}`);
        } catch (e) {
          leaving = false;
          const detail = `leaving failed: ${errorMessage(e)}; the node may stay cordoned: run nucmesh leave again`;
          log.error({ err: errorMessage(e), clusterId }, detail);
          o.state.set({
            state: role === 'agent' ? 'agent' : 'server',
            clusterId,
            detail,
            ...(k3sPortNow === undefined ? {} : { k3sPort: k3sPortNow }),
          });
          startLife(role, clusterId);
          throw e;
        }
      })();
      done.catch(() => undefined);
      return { done };
    },
    async stop() {
      stopped = true;
      own.abort();
      await life?.stop();
      run?.stop();
      election.done();
      await run?.member.catch(() => false);
      await driver.close();
    },
    forget: (clusterId) => prepareRejoin(options.dataDir, clusterId, port),
  };
}
