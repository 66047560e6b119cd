/**
 * The replacement keeper, on every server: when the plan (replacement-plan.ts) says a server is to
 * be replaced, the keeper takes the fleet-wide Lease (replacement-lease.ts), reads the Nodes again
 * and plans again under it (another server may have just done it), deletes the dead server's Node
 * (k3s' etcd member controller removes its etcd member with it), marks the chosen agent's Node
 * with `nucmesh.io/promote-to-server: <our node ID>` and holds the Lease until that node is a
 * Ready server, or gives up after `promoteTimeoutMs` (the mark is removed, the next round picks
 * again). The promoted agent asks a server for the server token through the join exchange, which
 * grants it because of the mark (join-registrar.ts withPromotions). The keeper also deletes the
 * Node of an agent that left and drained it (leave.ts): a kubelet may not delete its own Node.
 */
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import type { KubeApi } from './kube-api.js';
import { membersOf, NODE_ID_LABEL, PROMOTE_ANNOTATION, type ClusterMember, type KubeNode } from './members.js';
import { planReplacement, type ReplacementPolicy } from './replacement-plan.js';
import { acquireReplacementLease, type ReplacementRecord } from './replacement-lease.js';
import type { KeeperView } from './cluster-life.js';
import { pauseUnlessAborted } from '../node/pause.js';

export const DEFAULT_REPLACE_AFTER_S = 300;
export const LEASE_DURATION_S = 60;
export const DEFAULT_PROMOTE_TIMEOUT_MS = 10 * 60_000;

export interface ServerKeeperOptions {
  nodeId: string;
  /** The Lease holder: this server's Node name. */
  nodeName: string;
  policy: ReplacementPolicy;
  log: Logger;
  promoteTimeoutMs?: number;
  /** How often the promotion is looked at (and the Lease renewed). */
  pollMs?: number;
  now?: () => number;
  signal: AbortSignal;
}

export interface ServerKeeper {
  /** One round with the members just read; returns at once while a replacement runs. */
  keep(api: KubeApi, members: readonly ClusterMember[], view?: KeeperView): Promise<void>;
  /** The replacement under way (tests, shutdown). */
  readonly running: Promise<void> | undefined;
}

const nodePath = (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`;

/** The server that marked nucmesh node `nodeId` to become a server, read from its Node; undefined when none did. */
export async function markedForPromotion(api: KubeApi, nodeId: string): Promise<string | undefined> {
  const selector = encodeURIComponent(`${NODE_ID_LABEL}=${nodeId}`);
  const list = await api.get<{ items?: KubeNode[] }>(`/api/v1/nodes?labelSelector=${selector}`);
  return membersOf(list).find((m) => m.nodeId === nodeId && !m.server)?.promotedBy;
}

export function createServerKeeper(o: ServerKeeperOptions): ServerKeeper {
  const now = o.now ?? Date.now;
  const pollMs = o.pollMs ?? 5000;
  let running: Promise<void> | undefined;
  let lastReason = '';

  async function replace(api: KubeApi, mostServers: number): Promise<void> {
    const lease = await acquireReplacementLease(api, o.nodeName, LEASE_DURATION_S, now);
    if (!lease) return;
    let record: ReplacementRecord | undefined;
    try {
      const fresh = membersOf(await api.get<{ items?: KubeNode[] }>('/api/v1/nodes'));
      const plan = planReplacement(fresh, o.policy, now(), mostServers);
      if (plan.kind !== 'replace') return;
      const { dead, promote } = plan;
      const at = new Date(now()).toISOString();
      record = { ...(dead ? { dead: dead.name } : {}), promoted: promote.name, by: o.nodeName, at, outcome: 'gave-up' };
      if (dead) {
        o.log.warn(
          { dead: dead.name, notReadySince: new Date(dead.readySince).toISOString(), promote: promote.name },
          `replacing lost server ${dead.name} by ${promote.name}: deleting its Node (its etcd member goes with it)`,
        );
        await api.send('DELETE', nodePath(dead.name));
      } else o.log.info({ promote: promote.name }, `the cluster is short of servers: ${promote.name} becomes one`);
      await api.send('PATCH', nodePath(promote.name), {
        metadata: { annotations: { [PROMOTE_ANNOTATION]: o.nodeId } },
      });
      const deadline = now() + (o.promoteTimeoutMs ?? DEFAULT_PROMOTE_TIMEOUT_MS);
      while (now() < deadline && !o.signal.aborted) {
        await pauseUnlessAborted(pollMs, o.signal);
        if (!(await lease.renew())) {
          o.log.warn({ promote: promote.name }, 'the replacement Lease was taken from us; stopping this replacement');
          record = undefined;
          return;
        }
        const node = await api.get<KubeNode>(nodePath(promote.name));
        const m = node && membersOf({ items: [node] })[0];
        if (m?.server && m.ready) {
          record.outcome = 'server';
          o.log.info({ promoted: promote.name }, `${promote.name} is a Ready server: the cluster is whole again`);
          break;
        }
      }
      await api
        .send('PATCH', nodePath(promote.name), { metadata: { annotations: { [PROMOTE_ANNOTATION]: null } } })
        .catch((e: unknown) => o.log.warn({ err: errorMessage(e) }, 'removing the promotion mark failed'));
      if (record.outcome === 'gave-up')
        o.log.error({ promote: promote.name }, `${promote.name} did not become a Ready server in time; picking again`);
    } finally {
      await lease
        .release(record)
        .catch((e: unknown) => o.log.warn({ err: errorMessage(e) }, 'releasing the replacement Lease failed'));
    }
  }

  return {
    get running() {
      return running;
    },
    async keep(api, members, view) {
      const mostServers = view?.mostServers ?? o.policy.servers;
      // A leaving agent drained its Node and may not delete it itself (leave.ts): we do.
      for (const m of members.filter((x) => x.drained && !x.server && !x.deleting)) {
        o.log.info({ node: m.name }, `${m.name} left the cluster (drained): deleting its Node`);
        await api.send('DELETE', nodePath(m.name));
      }
      if (running) return;
      const plan = planReplacement(members, o.policy, now(), mostServers);
      if (plan.kind === 'none') {
        if (plan.reason !== lastReason) o.log.debug({ reason: plan.reason }, 'server keeper: nothing to do');
        lastReason = plan.reason;
        return;
      }
      running = replace(api, mostServers)
        .catch((e: unknown) => o.log.warn({ err: errorMessage(e) }, 'server replacement failed; trying again later'))
        .finally(() => (running = undefined));
    },
  };
}
