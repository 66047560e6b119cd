/**
 * The cluster as the API shows it (GET /v1/cluster), read through @kubernetes/client-node with
 * the node's kubeconfig (`/etc/rancher/k3s/k3s.yaml` on servers): the nodes with their roles,
 * Ready condition, kubelet version, addresses and the labels nucmesh sets, and the etcd member
 * count (nodes k3s labels as etcd members). Without a kubeconfig, or when the API server does
 * not answer, a reason instead. The client library is loaded only when first asked.
 */
import { existsSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import type { ClusterView } from '../api/ops-schemas.js';

export const DEFAULT_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';
/** Labels shown: ours. */
export const OUR_LABEL_PREFIX = 'nucmesh.io/';
const ROLE_PREFIX = 'node-role.kubernetes.io/';

interface K8sNode {
  metadata?: { name?: string; labels?: Record<string, string> };
  status?: {
    conditions?: { type?: string; status?: string }[];
    nodeInfo?: { kubeletVersion?: string };
    addresses?: { address?: string }[];
  };
}

/** The view of a node list (pure). */
export function clusterViewOf(clusterId: string, items: readonly K8sNode[]): ClusterView {
  const nodes = items.map((n) => {
    const labels = n.metadata?.labels ?? {};
    const roles = Object.keys(labels)
      .filter((k) => k.startsWith(ROLE_PREFIX))
      .map((k) => k.slice(ROLE_PREFIX.length))
      .sort();
    const ours = Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith(OUR_LABEL_PREFIX)));
    return {
      name: n.metadata?.name ?? '',
      roles,
      ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? '',
      addresses: (n.status?.addresses ?? []).map((a) => a.address ?? '').filter(Boolean),
      labels: ours,
    };
  });
  const etcdMembers = items.filter((n) => n.metadata?.labels?.[`${ROLE_PREFIX}etcd`] === 'true').length;
  return { clusterId, nodes, etcdMembers };
}

export async function readClusterView(o: {
  kubeconfig: string;
  clusterId: string;
  timeoutMs?: number;
}): Promise<ClusterView | { unavailable: string }> {
  if (!existsSync(o.kubeconfig))
    return { unavailable: `k3s is not up on this node (no kubeconfig at ${o.kubeconfig})` };
  try {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(o.kubeconfig);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const timeout = o.timeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const list = await Promise.race([
      api.listNode(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
    return clusterViewOf(o.clusterId, list.items as K8sNode[]);
  } catch (e) {
    return { unavailable: `the Kubernetes API does not answer: ${errorMessage(e).slice(0, 300)}` };
  }
}
