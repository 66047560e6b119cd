/**
 * The agent's current lifecycle state (booting → forming → seeding/joining → server/agent),
 * or why it cannot go on (no-fleet-config, bad-fleet-config, failed), with change events.
 * Part of the shared node layer (src/node/): the discovery advert, the console banner and the
 * API's health route read it.
 */
import { EventEmitter } from 'node:events';

export const NODE_STATES = [
  'booting',
  'no-fleet-config',
  'bad-fleet-config',
  'forming',
  'seeding',
  'joining',
  'server',
  'agent',
  'failed',
] as const;
export type NodeStateName = (typeof NODE_STATES)[number];

/** States in which the node waits for something a person (or the file system) must provide. */
export const BLOCKED_STATES: readonly NodeStateName[] = ['no-fleet-config', 'bad-fleet-config', 'failed'];

export function isNodeState(s: string): s is NodeStateName {
  return (NODE_STATES as readonly string[]).includes(s);
}

export interface NodeStateSnapshot {
  state: NodeStateName;
  /** Cluster ID once the node belongs to a cluster; empty before. */
  clusterId: string;
  /** k3s API port when this node is a server. */
  k3sPort?: number;
  /**
   * Why the node is in this state and what to do, for people (banner, health route):
   * set with the blocked states, e.g. which fleet config field is wrong.
   */
  detail?: string;
}

export class NodeState extends EventEmitter<{ change: [NodeStateSnapshot, NodeStateSnapshot] }> {
  #current: NodeStateSnapshot;

  constructor(initial: NodeStateSnapshot = { state: 'booting', clusterId: '' }) {
    super();
    this.#current = { ...initial };
  }

  get current(): Readonly<NodeStateSnapshot> {
    return this.#current;
  }

  /**
   * Change the state (and optionally cluster, k3s port, detail); emits `change` only when
   * something differs. A detail belongs to the state it was given with: a new state without
   * one clears it.
   */
  set(next: Partial<NodeStateSnapshot> & { state: NodeStateName }): void {
    const merged: NodeStateSnapshot = { ...this.#current, ...next };
    if (merged.state !== 'server') delete merged.k3sPort;
    if (next.detail === undefined) delete merged.detail;
    const prev = this.#current;
    if (
      prev.state === merged.state &&
      prev.clusterId === merged.clusterId &&
      prev.k3sPort === merged.k3sPort &&
      prev.detail === merged.detail
    )
      return;
    this.#current = merged;
    this.emit('change', merged, prev);
  }
}
