/**
 * Pure views of the peer table for the cluster steps: the servers of a cluster to ask for a join,
 * and the clusters in sight, for the `conflict` check (two clusters of one fleet that see each
 * other: a partition healed after both sides formed one).
 */
import type { ClusterPeer } from './ports.js';

/** The peers serving as servers of `clusterId`, in node ID order (every node asks in the same order). */
export function serversOf(peers: readonly ClusterPeer[], clusterId: string): ClusterPeer[] {
  return peers
    .filter((p) => p.clusterId === clusterId && p.state === 'server')
    .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
}

export interface ClusterSighting {
  clusterId: string;
  /** Nodes seen in it (this node included when it is ours). */
  size: number;
}

/** Every cluster in sight with its size, ours (when we have one) first, then by size and ID. */
export function clustersInSight(own: string, peers: readonly ClusterPeer[]): ClusterSighting[] {
  const sizes = new Map<string, number>();
  if (own !== '') sizes.set(own, 1);
  for (const p of peers) if (p.clusterId !== '') sizes.set(p.clusterId, (sizes.get(p.clusterId) ?? 0) + 1);
  return [...sizes]
    .map(([clusterId, size]) => ({ clusterId, size }))
    .sort((a, b) =>
      a.clusterId === own ? -1 : b.clusterId === own ? 1 : b.size - a.size || (a.clusterId < b.clusterId ? -1 : 1),
    );
}

/** The sentence a node in conflict shows (banner, log, health): both clusters and their sizes. */
export function describeConflict(sightings: readonly ClusterSighting[]): string {
  const list = sightings.map((s) => `${s.clusterId} (${s.size} node${s.size === 1 ? '' : 's'})`).join(' and ');
  return (
    `two clusters of this fleet see each other: ${list}. Nothing is wiped automatically; ` +
    'to move this node run `nucmesh reset --rejoin CLUSTER-ID --yes` on it'
  );
}
