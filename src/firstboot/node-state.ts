/**
 * The agent's current lifecycle state (booting → forming → seeding/joining → server/agent,
 * or failed), with change events. The discovery advert and the console banner read it.
 */
import { EventEmitter } from 'node:events';

export const NODE_STATES = ['booting', 'forming', 'seeding', 'joining', 'server', 'agent', 'failed'] as const;
export type NodeStateName = (typeof NODE_STATES)[number];

export function isNodeState(s: string): s is NodeStateName {
  return (NODE_STATES as readonly string[]).includes(s);
}

export interface NodeStateSnapshot {
  state: NodeStateName;
  /** Cluster ID once the node belongs to a cluster; empty before. */
  clusterId: string;
  /** k3s API port when this node is a server. */
  k3sPort?: number;
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

  /** Change the state (and optionally cluster/k3s port); emits `change` only when something differs. */
  set(next: Partial<NodeStateSnapshot> & { state: NodeStateName }): void {
    const merged: NodeStateSnapshot = { ...this.#current, ...next };
    if (merged.state !== 'server') delete merged.k3sPort;
    const prev = this.#current;
    if (prev.state === merged.state && prev.clusterId === merged.clusterId && prev.k3sPort === merged.k3sPort) return;
    this.#current = merged;
    this.emit('change', merged, prev);
  }
}
