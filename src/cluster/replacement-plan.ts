/**
 * What keeping the cluster whole asks for now (pure): a server whose Node has been NotReady longer
 * than `servers.replaceAfterSeconds` is replaced by the best ranked Ready agent while etcd has
 * quorum, and a cluster that was whole once and now has fewer servers than the fleet wants (one
 * left) gets one; while it forms, the seed's join ledger hands out the server slots. One server at
 * a time (etcd takes one learner at a time); nothing while a promotion is under way; nothing
 * without quorum (that takes a person: `k3s server --cluster-reset`). A dead server's Node is
 * deleted only together with a promotion, so a server that is merely off keeps its etcd member
 * until someone can take its place.
 */
import type { ClusterMember } from './members.js';
import { quorumOf } from './members.js';

export interface ReplacementPolicy {
  /** Servers wanted (fleet config `servers`). */
  servers: number;
  replaceAfterMs: number;
  /** Orders node IDs best first (the election's rank: preferredServers, then node ID). */
  rank(a: string, b: string): number;
}

export type ReplacementPlan =
  | { kind: 'none'; reason: string }
  | {
      kind: 'replace';
      /** The dead server's Node to delete first (k3s removes its etcd member with it), if any. */
      dead?: ClusterMember;
      /** The agent to become a server. */
      promote: ClusterMember & { nodeId: string };
    };

export function planReplacement(
  members: readonly ClusterMember[],
  policy: ReplacementPolicy,
  now: number,
  /** The most servers the cluster ever had: below `policy.servers` it is still forming. */
  mostServers = policy.servers,
): ReplacementPlan {
  const quorum = quorumOf(members);
  if (!quorum.hasQuorum)
    return { kind: 'none', reason: `etcd has no quorum (${quorum.readyServers} of ${quorum.servers} servers Ready)` };
  const pending = members.find((m) => m.promotedBy !== undefined && !m.server && !m.deleting);
  if (pending) return { kind: 'none', reason: `${pending.name} is becoming a server` };
  const servers = members.filter((m) => m.server && !m.deleting);
  const dead = servers
    .filter((m) => !m.ready && now - m.readySince >= policy.replaceAfterMs)
    .sort((a, b) => a.readySince - b.readySince)[0];
  const missing = mostServers >= policy.servers ? policy.servers - servers.length : 0;
  if (!dead && missing <= 0) {
    const notReady = servers.filter((m) => !m.ready);
    return notReady.length === 0
      ? { kind: 'none', reason: `all ${servers.length} servers Ready` }
      : { kind: 'none', reason: `${notReady.map((m) => m.name).join(', ')} NotReady, not yet for long enough` };
  }
  const candidates = members
    .filter(
      (m): m is ClusterMember & { nodeId: string } =>
        !m.server && m.ready && !m.unschedulable && !m.leaving && !m.deleting && m.nodeId !== undefined,
    )
    .sort((a, b) => policy.rank(a.nodeId, b.nodeId));
  const best = candidates[0];
  const why = dead ? `${dead.name} NotReady since ${new Date(dead.readySince).toISOString()}` : `${missing} missing`;
  if (!best)
    return { kind: 'none', reason: `a server is to be replaced (${why}) but no Ready agent can take its place` };
  return { kind: 'replace', ...(dead ? { dead } : {}), promote: best };
}
