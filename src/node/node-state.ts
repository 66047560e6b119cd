/**
 * The agent's current lifecycle state (booting → [installing, on a stick] → forming → seeding/joining → server/agent),
 * or why it cannot go on (no-fleet-config, bad-fleet-config, failed), with change events.
 * Part of the shared node layer (src/node/): the discovery advert, the console banner and the
 * API's health route read it.
 */
import { EventEmitter } from 'node:events';

export const NODE_STATES = [
  'booting',
  'installing',
  'install-refused',
  'no-fleet-config',
  'bad-fleet-config',
  'forming',
  'claiming',
  'seeding',
  'joining',
  'server',
  'agent',
  'conflict',
  'quorum-lost',
  'leaving',
  'left',
  'k3s-missing',
  'failed',
] as const;
export type NodeStateName = (typeof NODE_STATES)[number];

/** States in which the node waits for something a person (or the file system) must provide. */
export const BLOCKED_STATES: readonly NodeStateName[] = [
  'no-fleet-config',
  'bad-fleet-config',
  'k3s-missing',
  'quorum-lost',
  'install-refused',
  'no-fleet-config',
  'bad-fleet-config',
  'failed',
];

export function isNodeState(s: string): s is NodeStateName {
  return (NODE_STATES as readonly string[]).includes(s);
}

export interface NodeStateSnapshot {
  state: NodeStateName;
  /** Cluster ID once the node belongs to a cluster; empty before. */
  clusterId: string;
  /** k3s API port when this node is a server. */
  k3sPort?: number;
  /** The node this one supports as seed while the seed election runs (src/cluster/election.ts). */
  supports?: string;
  /** … a candidate it does not see itself (peers it sees support it). */
  supportsIndirect?: boolean;
  /**
   * Why the node is in this state and what to do, for people (banner, health route):
   * set with the blocked states, e.g. which fleet config field is wrong.
   */
  detail?: string;
  /** The boot step under way (while booting, and later during the cluster steps). */
  step?: string;
}

/** Two snapshots advertise the same thing (state, cluster, k3s port, supported seed): what peers see. */
export function sameAdvertised(a: Readonly<NodeStateSnapshot>, b: Readonly<NodeStateSnapshot>): boolean {
  return (
    a.state === b.state &&
    a.clusterId === b.clusterId &&
    a.k3sPort === b.k3sPort &&
    a.supports === b.supports &&
    !a.supportsIndirect === !b.supportsIndirect
  );
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
   * Change the state (and optionally cluster, k3s port, supported seed, detail, step); emits
   * `change` only when something differs. A detail, a step and a supported seed belong to the
   * change they were given with: a change without one clears it.
   */
  set(next: Partial<NodeStateSnapshot> & { state: NodeStateName }): void {
    const merged: NodeStateSnapshot = { ...this.#current, ...next };
    if (merged.state !== 'server') delete merged.k3sPort;
    if (next.detail === undefined) delete merged.detail;
    if (next.step === undefined) delete merged.step;
    if (next.supports === undefined) delete merged.supports;
    if (next.supportsIndirect === undefined) delete merged.supportsIndirect;
    const prev = this.#current;
    if (
      prev.state === merged.state &&
      prev.clusterId === merged.clusterId &&
      prev.k3sPort === merged.k3sPort &&
      prev.supports === merged.supports &&
      prev.supportsIndirect === merged.supportsIndirect &&
      prev.detail === merged.detail &&
      prev.step === merged.step
    )
      return;
    this.#current = merged;
    this.emit('change', merged, prev);
  }
}
