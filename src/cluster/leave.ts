/**
 * `nucmesh leave`: the node leaves its cluster for good, the way `kubectl drain` and
 * `kubectl delete node` do it, then wipes its k3s state:
 *   1. refuse on the last server, and on a server whose leaving would break etcd's quorum;
 *   2. mark the Node leaving (never promoted, never replaced) and cordon it (spec.unschedulable);
 *   3. drain: evict every pod on it (policy/v1 Evictions, which honour PodDisruptionBudgets: a 429
 *      is asked again until `drainTimeoutMs`), leaving DaemonSet and mirror pods as drain does,
 *      and wait until the pods are gone;
 *   4. a server deletes its own Node (k3s' etcd member controller removes its etcd member); an
 *      agent marks its Node drained and waits until a server deleted it (server-keeper.ts): since
 *      Kubernetes 1.33 the Node authorizer lets a kubelet cordon its Node and evict its own pods,
 *      but no longer delete its Node;
 *   5. the caller stops and wipes k3s and advertises `left`.
 * The node's own credentials do all of it: the admin kubeconfig on servers, the kubelet's on agents.
 */
import { NucmeshError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { kubeStatusOf, type KubeApi } from './kube-api.js';
import { DRAINED_ANNOTATION, leaveRefusal, membersOf, LEAVING_ANNOTATION, type KubeNode } from './members.js';

export const DEFAULT_DRAIN_TIMEOUT_MS = 10 * 60_000;
/** How long a drained agent waits for a server to delete its Node. */
export const DEFAULT_DELETE_TIMEOUT_MS = 2 * 60_000;

interface PodObject {
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind?: string }[];
    deletionTimestamp?: string;
  };
}

/** Pods drain leaves alone: DaemonSet pods (recreated at once) and mirror pods (static pods of the kubelet). */
export function drainSkips(pod: PodObject): boolean {
  const mirror = pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined;
  const daemon = pod.metadata?.ownerReferences?.some((r) => r.kind === 'DaemonSet') ?? false;
  return mirror || daemon;
}

export interface LeaveOptions {
  nodeName: string;
  role: 'server' | 'agent';
  log: Logger;
  drainTimeoutMs?: number;
  deleteTimeoutMs?: number;
  pollMs?: number;
  now?: () => number;
  /** Told what is going on, for the banner and the API (cordoned, draining N pods, deleting). */
  progress?(what: string): void;
}

/**
 * Step 1: throws E_LEAVE_REFUSED saying why this node may not leave now (or E_KUBE_API). A server
 * lists every Node; an agent may read its own only (the Node authorizer), and needs no more.
 */
export async function checkLeave(api: KubeApi, nodeName: string, role: 'server' | 'agent'): Promise<void> {
  const own = `/api/v1/nodes/${encodeURIComponent(nodeName)}`;
  const list =
    role === 'server'
      ? await api.get<{ items?: KubeNode[] }>('/api/v1/nodes')
      : { items: [await api.get<KubeNode>(own)].filter((n): n is KubeNode => n !== undefined) };
  const members = membersOf(list);
  const refusal = members.some((m) => m.name === nodeName)
    ? leaveRefusal(members, nodeName)
    : `node ${nodeName} is not in the cluster's Node list`;
  if (refusal) throw new NucmeshError('E_LEAVE_REFUSED', refusal, { data: { node: nodeName } });
}

/** Steps 1–4; throws E_LEAVE_REFUSED (with why) or E_KUBE_API. */
export async function leaveCluster(api: KubeApi, o: LeaveOptions): Promise<void> {
  const now = o.now ?? Date.now;
  const pollMs = o.pollMs ?? 2000;
  const node = `/api/v1/nodes/${encodeURIComponent(o.nodeName)}`;
  await checkLeave(api, o.nodeName, o.role);

  await api.send('PATCH', node, {
    metadata: { annotations: { [LEAVING_ANNOTATION]: new Date(now()).toISOString() } },
    spec: { unschedulable: true },
  });
  o.progress?.('cordoned; draining');
  o.log.info({ node: o.nodeName }, 'leave: cordoned; draining');

  const deadline = now() + (o.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
  const podsPath = `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${o.nodeName}`)}`;
  for (;;) {
    const pods = ((await api.get<{ items?: PodObject[] }>(podsPath))?.items ?? []).filter((p) => !drainSkips(p));
    if (pods.length === 0) break;
    const blocked: string[] = [];
    for (const pod of pods) {
      if (pod.metadata?.deletionTimestamp) continue;
      const ns = pod.metadata?.namespace ?? 'default';
      const name = pod.metadata?.name ?? '';
      try {
        await api.send('POST', `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(name)}/eviction`, {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name, namespace: ns },
        });
      } catch (e) {
        // 429: a PodDisruptionBudget does not allow it now (drain asks again); 404: gone meanwhile.
        const status = kubeStatusOf(e);
        o.log.debug({ pod: `${ns}/${name}`, status, err: errorMessage(e) }, 'leave: eviction not done');
        if (status === 429) blocked.push(`${ns}/${name}`);
        else if (status !== 404) throw e;
      }
    }
    const what = `draining: ${pods.length} pod(s) left${blocked.length ? `, ${blocked.join(', ')} held by a PodDisruptionBudget` : ''}`;
    o.progress?.(what);
    if (now() >= deadline)
      throw new NucmeshError('E_LEAVE_REFUSED', `the drain did not finish in time (${what}); the node stays cordoned`, {
        data: { node: o.nodeName, blocked },
      });
    await new Promise((r) => setTimeout(r, pollMs));
  }
  o.progress?.('drained; deleting the Node');
  o.log.info({ node: o.nodeName }, 'leave: drained; deleting the Node');
  if (o.role === 'server') {
    await api.send('DELETE', node);
    return;
  }
  await api.send('PATCH', node, { metadata: { annotations: { [DRAINED_ANNOTATION]: new Date(now()).toISOString() } } });
  const until = now() + (o.deleteTimeoutMs ?? DEFAULT_DELETE_TIMEOUT_MS);
  while ((await api.get(node)) !== undefined) {
    if (now() >= until)
      throw new NucmeshError(
        'E_LEAVE_REFUSED',
        'drained, but no server deleted the Node in time; the node stays cordoned',
        {
          data: { node: o.nodeName },
        },
      );
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
