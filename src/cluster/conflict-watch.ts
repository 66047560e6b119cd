/**
 * After formation: when a node of our cluster sees a node of another cluster of the same fleet
 * (two sides of a partition that each formed one and now hear each other), it reports
 * `conflict`, naming both clusters and their sizes (state, so banner, health and advert; log).
 * Clusters never merge and nothing is wiped automatically: an operator moves the nodes of one
 * side with `nucmesh reset --rejoin`. When the other cluster is out of sight again, the node
 * goes back to its role.
 */
import type { Logger } from '../log.js';
import type { NodeState, NodeStateSnapshot } from '../node/node-state.js';
import { clustersInSight, describeConflict } from './cluster-view.js';
import type { ClusterNetwork } from './ports.js';

export interface ConflictWatchOptions {
  state: NodeState;
  net: ClusterNetwork;
  /** Subscribes to peer table changes; returns the unsubscribe. */
  onChange(cb: () => void): () => void;
  /** The state of this node when there is no conflict (its role in its cluster). */
  member: Readonly<NodeStateSnapshot>;
  log: Logger;
}

export function watchConflict(o: ConflictWatchOptions): () => void {
  let shown = '';
  const look = (): void => {
    const own = o.member.clusterId;
    const sightings = clustersInSight(own, o.net.peers());
    if (sightings.length > 1) {
      const detail = describeConflict(sightings);
      if (detail !== shown) o.log.warn({ clusters: sightings }, detail);
      shown = detail;
      o.state.set({ state: 'conflict', clusterId: own, detail });
    } else if (o.state.current.state === 'conflict') {
      shown = '';
      o.log.info({ clusterId: own }, `conflict over: only cluster ${own} is in sight`);
      o.state.set({ ...o.member });
    }
  };
  look();
  return o.onChange(look);
}
