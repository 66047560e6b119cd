/**
 * The cluster's membership as Kubernetes has it (pure): from the Node list, who is a server (k3s'
 * etcd role label), who is Ready and since when, which nucmesh node each Node is (the
 * `nucmesh.io/node-id` label nucmesh sets at registration), and the marks nucmesh puts on Nodes
 * (promotion to server, leaving). Once a cluster exists this, not mDNS, is the membership.
 */
import { LABEL_PREFIX } from '../node/wire.js';

export const NODE_ID_LABEL = `${LABEL_PREFIX}node-id`;
/** k3s' role labels (pkg/server setNodeLabelsAndAnnotations): servers with etcd carry the etcd one. */
export const ETCD_ROLE_LABEL = 'node-role.kubernetes.io/etcd';
export const CONTROL_PLANE_ROLE_LABEL = 'node-role.kubernetes.io/control-plane';
/** Put on an agent's Node by the server that chose it to replace a lost server: `<server node ID>`. */
export const PROMOTE_ANNOTATION = `${LABEL_PREFIX}promote-to-server`;
/** Put on its own Node by a node that is leaving (cordoned, draining): never promoted, never replaced. */
export const LEAVING_ANNOTATION = `${LABEL_PREFIX}leaving`;
/**
 * Put on its own Node by a leaving agent once drained: a server deletes the Node (since
 * Kubernetes 1.33 the Node authorizer no longer lets a kubelet delete its own Node).
 */
export const DRAINED_ANNOTATION = `${LABEL_PREFIX}drained`;

export interface KubeNode {
  metadata?: {
    name?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  spec?: { unschedulable?: boolean };
  status?: { conditions?: { type?: string; status?: string; lastTransitionTime?: string }[] };
}

export interface ClusterMember {
  name: string;
  /** The nucmesh node ID (label), when the Node carries it. */
  nodeId?: string;
  server: boolean;
  ready: boolean;
  /** When Ready last changed (ms since the epoch; the Node's creation when never reported). */
  readySince: number;
  unschedulable: boolean;
  /** The server node ID that asked this agent to become a server. */
  promotedBy?: string;
  leaving: boolean;
  /** Drained by a leaving agent: a server is to delete the Node. */
  drained: boolean;
  deleting: boolean;
}

export function memberOf(n: KubeNode): ClusterMember {
  const labels = n.metadata?.labels ?? {};
  const annotations = n.metadata?.annotations ?? {};
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  const since = Date.parse(ready?.lastTransitionTime ?? n.metadata?.creationTimestamp ?? '');
  const nodeId = labels[NODE_ID_LABEL];
  const promotedBy = annotations[PROMOTE_ANNOTATION];
  return {
    name: n.metadata?.name ?? '',
    ...(nodeId ? { nodeId } : {}),
    server: labels[ETCD_ROLE_LABEL] === 'true',
    ready: ready?.status === 'True',
    readySince: Number.isNaN(since) ? 0 : since,
    unschedulable: n.spec?.unschedulable === true,
    ...(promotedBy ? { promotedBy } : {}),
    leaving: annotations[LEAVING_ANNOTATION] !== undefined,
    drained: annotations[DRAINED_ANNOTATION] !== undefined,
    deleting: n.metadata?.deletionTimestamp !== undefined,
  };
}

export function membersOf(list: { items?: KubeNode[] } | undefined): ClusterMember[] {
  return (list?.items ?? []).map(memberOf).filter((m) => m.name !== '');
}

export interface Quorum {
  servers: number;
  readyServers: number;
  /** etcd keeps quorum while more than half of its voting members are up. */
  hasQuorum: boolean;
}

export function quorumOf(members: readonly ClusterMember[]): Quorum {
  const servers = members.filter((m) => m.server && !m.deleting);
  const readyServers = servers.filter((m) => m.ready).length;
  return { servers: servers.length, readyServers, hasQuorum: readyServers > servers.length / 2 };
}

/**
 * Why this server may not leave, or undefined: the last server, or one whose leaving breaks etcd's
 * quorum (the remaining members must keep a majority of Ready servers).
 */
export function leaveRefusal(members: readonly ClusterMember[], self: string): string | undefined {
  const me = members.find((m) => m.name === self);
  if (!me?.server) return undefined;
  const q = quorumOf(members);
  if (q.servers <= 1) return 'this is the last server of the cluster: leaving would end the cluster and its data';
  const after = { servers: q.servers - 1, ready: q.readyServers - (me.ready ? 1 : 0) };
  if (after.ready <= after.servers / 2)
    return (
      `leaving would break etcd's quorum: ${after.ready} of the ${after.servers} remaining servers are Ready ` +
      `(more than half must be); bring the NotReady servers back or remove them first`
    );
  return undefined;
}
