/**
 * What the cluster steps need from the rest of the node, as narrow interfaces the composition
 * root (src/agent/) implements: the peers discovery sees, the seed election, the join exchange
 * and the k3s driver. The cluster layer knows none of those modules, only these shapes.
 */
import type { NodeStateName } from '../node/node-state.js';

/** The role a node has in its cluster: the seed ran `cluster-init`; servers run etcd. */
export type ClusterRole = 'seed' | 'server' | 'agent';

/** A verified peer of our fleet, as discovery sees it now. */
export interface ClusterPeer {
  nodeId: string;
  state: NodeStateName;
  clusterId: string;
  /** An address of the peer on the LAN we share, and its API port. */
  address: string;
  apiPort: number;
  k3sPort?: number;
  /** The pin of the peer's API certificate (signed advert): the join exchange goes over pinned HTTPS. */
  certPin?: string;
  /** The node the peer supports as seed while the election runs (indirectly: on a peer's word). */
  supports?: string;
  supportsIndirect?: boolean;
}

export interface ClusterNetwork {
  /** The verified peers of our fleet, now. */
  peers(): readonly ClusterPeer[];
}

/** What the seed election settled on. A seed is final; a join holds until the node is a member. */
export type Formation =
  { kind: 'seed'; clusterId: string } | { kind: 'join'; clusterId: string; via: readonly string[] };

export interface ElectionPort {
  /**
   * Runs the election until it is settled. With `committed`, this node had decided to seed
   * `clusterId` before a restart: the election keeps that unless another cluster is in sight
   * (join before seed).
   */
  settle(known: { committed: boolean; clusterId: string }, signal: AbortSignal): Promise<Formation>;
  /**
   * The cluster we set out to join vanished before it was up (its seed died during start-k3s,
   * nobody of it is in sight): the joiner takes part in the election again.
   */
  revoked(clusterId: string): boolean;
  /** The node is a member: the election stops. */
  done(): void;
}

/** What a joiner receives from a server of the cluster (the token is a secret). */
export interface JoinSecret {
  role: 'server' | 'agent';
  serverUrl: string;
  token: string;
  /** The node that granted the role: the cluster's registrar (its seed), whom servers refer joiners to. */
  grantedBy: string;
}

/** How a join request went: granted, or what to do next. */
export type JoinAnswer =
  | { kind: 'granted'; secret: JoinSecret }
  /** A server slot is being filled (servers join one at a time): ask again after `ms`. */
  | { kind: 'wait'; ms: number }
  /** This server does not grant roles: ask `nodeId` (the cluster's registrar). */
  | { kind: 'ask'; nodeId: string }
  /** Refused, unreachable, or not a server of our fleet: the reason, without any secret. */
  | { kind: 'failed'; reason: string };

export interface JoinPort {
  /** Asks a server peer for a role and a token (the join exchange, mutually authenticated). */
  request(peer: ClusterPeer, signal: AbortSignal): Promise<JoinAnswer>;
}

/** The node's own data the k3s config is made of. */
export interface K3sNodeParams {
  nodeName: string;
  nodeIp: string;
  labels: Readonly<Record<string, string>>;
  tlsSans: readonly string[];
}

/** The role-specific part of the k3s config. */
export type K3sRoleConfig =
  { role: 'seed'; token: string; agentToken: string } | { role: 'server' | 'agent'; serverUrl: string; token: string };

export interface K3sPort {
  /** False when the k3s executable is not there (the image was built without it). */
  available(): Promise<boolean>;
  configure(config: K3sRoleConfig, node: K3sNodeParams): Promise<void>;
  start(role: ClusterRole): Promise<void>;
  waitReady(role: ClusterRole, nodeName: string, signal: AbortSignal): Promise<void>;
  /** Makes sure the node carries `labels` (adds or fixes, never touches other labels). */
  ensureLabels(role: ClusterRole, nodeName: string, labels: Readonly<Record<string, string>>): Promise<void>;
  stop(): Promise<void>;
  /** Removes this node's k3s state (etcd data, agent state): for leaving or joining another cluster. */
  wipe(): Promise<void>;
}
