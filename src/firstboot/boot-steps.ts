/**
 * The boot sequence: named steps, in order. `once` steps are persisted as done and
 * never redone (a reboot resumes where it stopped); `always` steps run at every start.
 */
import type { Logger } from '../log.js';
import type { FleetConfig } from '../config/fleet.js';
import type { AgentOptions } from './agent-options.js';
import type { Step } from './steps.js';
import type { Inventory } from './hardware/types.js';
import type { NodeIdentity } from './identity.js';
import type { NodeState } from './node-state.js';
import type { NodeDiscovery } from '../discovery/node-discovery.js';
import { identityStep, inventoryStep, nodeSummaryStep } from './hardware-steps.js';
import { hostnameStep } from './host-steps.js';

export interface BootContext {
  options: AgentOptions;
  config: Readonly<FleetConfig>;
  log: Logger;
  dataDir: string;
  /** Set by the `inventory` step. */
  inventory?: Inventory;
  /** Set by the `identity` step (first start) or `node-summary` (later starts). */
  identity?: NodeIdentity;
  /** The node's lifecycle state (booting, forming, ...): the advert and the banner read it. */
  nodeState?: NodeState;
  /** Set by `startServices`: the API server, advertiser, browser and peer table. */
  discovery?: NodeDiscovery;
}

export const bootSteps: Step<BootContext>[] = [inventoryStep, identityStep, nodeSummaryStep, hostnameStep];
