/**
 * The boot sequence: named steps, in order. `once` steps are persisted as done and
 * never redone (a reboot resumes where it stopped); `always` steps run at every start.
 * The steps need no fleet config: a node without one still shows who it is.
 */
import type { Logger } from '../log.js';
import type { Step } from './steps.js';
import type { Inventory } from './hardware/types.js';
import type { NodeIdentity } from './identity.js';
import { identityStep, inventoryStep, nodeSummaryStep } from './hardware-steps.js';
import { hostnameStep } from './host-steps.js';

/** What the boot steps take from the agent's options. */
export interface BootOptions {
  /** A `nucmesh capture` directory to use instead of the live machine. */
  hardwareFrom?: string;
  /**
   * This is the node itself (the image's nucmesh.service): set the hostname from the
   * identity and draw the console banner. Off when the agent runs anywhere else.
   */
  applyHost?: boolean;
}

export interface BootContext {
  options: BootOptions;
  log: Logger;
  dataDir: string;
  /** Set by the `inventory` step. */
  inventory?: Inventory;
  /** Set by the `identity` step (first start) or `node-summary` (later starts). */
  identity?: NodeIdentity;
}

export const bootSteps: Step<BootContext>[] = [inventoryStep, identityStep, nodeSummaryStep, hostnameStep];
