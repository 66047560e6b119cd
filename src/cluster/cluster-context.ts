/** What the cluster steps share: the ports they act through, and what earlier steps found. */
import type { Logger } from '../log.js';
import type { FleetConfig } from '../config/fleet.js';
import type { NodeState } from '../node/node-state.js';
import type { ClusterRecord } from './cluster-record.js';
import type {
  ClusterNetwork,
  ClusterRole,
  ElectionPort,
  JoinPort,
  JoinSecret,
  K3sNodeParams,
  K3sPort,
} from './ports.js';

export interface ClusterContext {
  log: Logger;
  dataDir: string;
  nodeId: string;
  config: Readonly<FleetConfig>;
  /** The node state: the steps set seeding/joining/server/agent, which discovery advertises. */
  state: NodeState;
  net: ClusterNetwork;
  election: ElectionPort;
  join: JoinPort;
  k3s: K3sPort;
  /** This node's name, address, labels and certificate names for the k3s config. */
  node: K3sNodeParams;
  signal: AbortSignal;
  /** Told once the node reached its ready state (systemd READY=1). */
  onReady?(role: ClusterRole, clusterId: string): void;
  /** Set by `decide`: which cluster, and whether we seeded it. */
  record?: ClusterRecord;
  /** Set by `obtain-join-secret` (joiners only; the seed makes its own tokens). */
  secret?: JoinSecret;
  /** Set by `obtain-join-secret`: the role this node has. */
  role?: ClusterRole;
}
