/**
 * A member's life after formation, read from Kubernetes (the cluster is the source of truth;
 * mDNS only says which hosts still answer). Every `intervalMs` the node reads the Nodes with its
 * own credentials: a server lists them all (admin kubeconfig); an agent reads its own Node only
 * (the kubelet's credentials: since Kubernetes 1.33 the Node authorizer lets a node read its own
 * Node object and no other). Then it:
 * - keeps the membership it read (`members()`, for the API) and, on servers, the servers in
 *   `<data-dir>/cluster-members.json`, for judging quorum when the API no longer answers;
 * - refreshes its own `nucmesh.io/*` labels when the inventory changed (a disk or DIMM added);
 * - on an agent: when a server marked its Node to become a server (the replacement of a lost
 *   server), hands over to `onPromote`;
 * - on a server: runs the replacement keeper (server-keeper.ts);
 * - when the API has not answered for `quorumLostAfterMs` and at most half of the servers are
 *   alive (their adverts and heartbeats; a server counts those the API last listed, an agent
 *   the fleet's `servers` against the servers of its cluster it sees), reports `quorum-lost`
 *   with the recovery a person must run; back to its role as soon as the API answers again.
 *   Nothing automatic.
 */
import path from 'node:path';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import type { NodeState, NodeStateName } from '../node/node-state.js';
import { readJsonFile, writeJsonFile } from '../node/state-file.js';
import type { KubeApi } from './kube-api.js';
import { labelPatch } from './k3s-labels.js';
import { membersOf, type ClusterMember, type KubeNode } from './members.js';
import type { ClusterNetwork, ClusterPeer } from './ports.js';

export const DEFAULT_LIFE_INTERVAL_MS = 5000;
export const DEFAULT_QUORUM_LOST_AFTER_MS = 30_000;
export const DEFAULT_LABEL_REFRESH_MS = 5 * 60_000;

/** What a person runs when quorum is lost (k3s docs, "Cluster Reset"). */
export const QUORUM_RECOVERY =
  'recover by hand: on one surviving server run `systemctl stop k3s && k3s server --cluster-reset`, ' +
  'then start k3s there, and on every other server delete /var/lib/rancher/k3s/server/db and start k3s again';

export interface KnownServers {
  version: 1;
  servers: { name: string; nodeId?: string }[];
  /** The most servers the API ever listed: whether the cluster was whole once (server-keeper.ts). */
  mostServers?: number;
}

/** What the keeper is told besides the members. */
export interface KeeperView {
  /** The most servers the cluster ever had (from this server's reads, kept across restarts). */
  mostServers: number;
}

export const knownServersFile = (dataDir: string): string => path.join(dataDir, 'cluster-members.json');

export interface ClusterLifeOptions {
  role: 'server' | 'agent';
  clusterId: string;
  nodeName: string;
  nodeId: string;
  dataDir: string;
  /** Servers the cluster has when whole (fleet config): an agent's measure of quorum. */
  servers: number;
  api: () => Promise<KubeApi>;
  net: ClusterNetwork;
  state: NodeState;
  log: Logger;
  /** The labels the machine should carry now (read again from the hardware at most every `labelRefreshMs`). */
  labels: () => Promise<Readonly<Record<string, string>>>;
  /** Agents: a server (node ID `by`) chose this node to become a server. */
  onPromote?(by: string): void;
  /** Servers: one round of the replacement keeper with the members just read. */
  keep?(api: KubeApi, members: readonly ClusterMember[], view: KeeperView): Promise<void>;
  intervalMs?: number;
  quorumLostAfterMs?: number;
  labelRefreshMs?: number;
  now?: () => number;
}

export interface ClusterLife {
  /** The members as last read from the API (undefined before the first read). */
  members(): readonly ClusterMember[] | undefined;
  /** Runs one round now (tests; the API's refresh). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** States a server of the cluster advertises while its host runs. */
const SERVER_STATES: readonly NodeStateName[] = ['server', 'quorum-lost'];

/**
 * How many servers are alive out of how many: a server judges the servers the API last listed
 * by whether their hosts still answer (itself included); an agent, which may not list Nodes,
 * counts the servers of its cluster it sees against the fleet's `servers`.
 */
export function serversAlive(
  known: KnownServers['servers'],
  peers: readonly ClusterPeer[],
  self: { nodeId: string; role: 'server' | 'agent'; clusterId: string; servers: number },
): { alive: string[]; of: number } {
  if (self.role === 'agent') {
    const alive = peers
      .filter((p) => p.clusterId === self.clusterId && SERVER_STATES.includes(p.state))
      .map((p) => p.nodeId);
    return { alive, of: Math.max(self.servers, alive.length) };
  }
  const live = new Set(peers.map((p) => p.nodeId));
  live.add(self.nodeId);
  const alive = known.filter((s) => s.nodeId !== undefined && live.has(s.nodeId)).map((s) => s.name);
  return { alive, of: known.length };
}

export function startClusterLife(o: ClusterLifeOptions): ClusterLife {
  const now = o.now ?? Date.now;
  const interval = o.intervalMs ?? DEFAULT_LIFE_INTERVAL_MS;
  const quorumLostAfter = o.quorumLostAfterMs ?? DEFAULT_QUORUM_LOST_AFTER_MS;
  const labelRefresh = o.labelRefreshMs ?? DEFAULT_LABEL_REFRESH_MS;
  const memberState: NodeStateName = o.role;
  let members: ClusterMember[] | undefined;
  let lastAnswer = now();
  let lastLabels = 0;
  let lastError = '';
  let known: KnownServers['servers'] = [];
  let mostServers = 0;
  let stopped = false;
  let running: Promise<void> | undefined;
  let promoted = false;
  const loaded = readJsonFile<KnownServers>(knownServersFile(o.dataDir)).then(
    (k) => {
      known = k?.servers ?? [];
      mostServers = k?.mostServers ?? known.length;
    },
    () => undefined,
  );

  async function round(): Promise<void> {
    await loaded;
    let api: KubeApi;
    let list: { items?: KubeNode[] } | undefined;
    try {
      api = await o.api();
      if (o.role === 'server') list = await api.get<{ items?: KubeNode[] }>('/api/v1/nodes');
      else {
        const own = await api.get<KubeNode>(`/api/v1/nodes/${encodeURIComponent(o.nodeName)}`);
        list = { items: own ? [own] : [] };
      }
    } catch (e) {
      noAnswer(errorMessage(e));
      return;
    }
    lastAnswer = now();
    lastError = '';
    members = membersOf(list);
    if (o.state.current.state === 'quorum-lost') {
      o.log.info({ clusterId: o.clusterId }, 'the cluster API answers again: quorum is back');
      o.state.set({ state: memberState, clusterId: o.clusterId, ...portOf() });
    }
    if (o.role === 'server') await remember(members);
    const me = members.find((m) => m.name === o.nodeName);
    if (me && now() - lastLabels >= labelRefresh) await refreshLabels(api, list);
    if (o.role === 'agent' && me?.promotedBy !== undefined && !promoted && o.onPromote) {
      promoted = true;
      o.log.info({ by: me.promotedBy }, `server ${me.promotedBy} chose this node to replace a lost server`);
      o.onPromote(me.promotedBy);
      return;
    }
    if (o.role === 'server' && o.keep) await o.keep(api, members, { mostServers });
  }

  // The member state's k3s port, given back with the state once quorum is back.
  const memberPort = o.state.current.k3sPort;
  function portOf(): { k3sPort?: number } {
    return memberPort === undefined ? {} : { k3sPort: memberPort };
  }

  function noAnswer(reason: string): void {
    if (reason !== lastError) o.log.warn({ err: reason }, 'the cluster API does not answer');
    lastError = reason;
    if (now() - lastAnswer < quorumLostAfter || (o.role === 'server' && known.length === 0)) return;
    const self = { nodeId: o.nodeId, role: o.role, clusterId: o.clusterId, servers: o.servers };
    const { alive, of } = serversAlive(known, o.net.peers(), self);
    if (alive.length > of / 2 || o.state.current.state === 'quorum-lost') return;
    const gone = o.role === 'server' ? known.filter((s) => !alive.includes(s.name)).map((s) => s.name) : [];
    const detail =
      `etcd lost quorum: ${of - alive.length} of ${of} servers gone${gone.length ? ` (${gone.join(', ')})` : ''}; ` +
      `the cluster API has not answered for ${Math.round((now() - lastAnswer) / 1000)} s. ${QUORUM_RECOVERY}`;
    o.log.error({ clusterId: o.clusterId, gone, alive, err: reason }, detail);
    o.state.set({ state: 'quorum-lost', clusterId: o.clusterId, detail, ...portOf() });
  }

  async function remember(m: readonly ClusterMember[]): Promise<void> {
    const servers = m
      .filter((x) => x.server && !x.deleting)
      .map((x) => ({ name: x.name, ...(x.nodeId ? { nodeId: x.nodeId } : {}) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const most = Math.max(mostServers, servers.length);
    if (JSON.stringify(servers) === JSON.stringify(known) && most === mostServers) return;
    known = servers;
    mostServers = most;
    await writeJsonFile(knownServersFile(o.dataDir), {
      version: 1,
      servers,
      mostServers,
    } satisfies KnownServers);
  }

  async function refreshLabels(api: KubeApi, list: { items?: KubeNode[] } | undefined): Promise<void> {
    const node = list?.items?.find((n) => n.metadata?.name === o.nodeName);
    const wanted = await o.labels();
    lastLabels = now();
    const patch = labelPatch(node?.metadata?.labels ?? {}, wanted);
    if (!patch) return;
    await api.send('PATCH', `/api/v1/nodes/${encodeURIComponent(o.nodeName)}`, { metadata: { labels: patch } });
    o.log.info({ changed: patch }, 'node labels refreshed from the hardware');
  }

  const run = (): Promise<void> => {
    running ??= round()
      .catch((e: unknown) => o.log.warn({ err: errorMessage(e) }, 'cluster round failed'))
      .finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void run();
  }, interval);
  timer.unref();
  void run();

  return {
    members: () => members,
    tick: run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
