/**
 * The boot sequence: named steps, in order. `once` steps are persisted as done and
 * never redone (a reboot resumes where it stopped); `always` steps run at every start.
 * The steps need no fleet config: a node without one still shows who it is.
 */
import type { Logger } from '../log.js';
import type { AnyStep } from './steps.js';
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
  /** Set by the `identity` step (derived on the first start, loaded on later ones). */
  identity?: NodeIdentity;
  /** Sets the machine's hostname (default: hostname.ts's applyHostname); tests pass their own. */
  setHostname?(name: string): Promise<void>;
}

export interface BootPhase {
  phase: string;
  /** What the phase is for, in one line. */
  purpose: string;
  steps: readonly AnyStep<BootContext>[];
}

/** The boot sequence, top to bottom. The cluster phases (advertise, decide, join, k3s) come next. */
export const BOOT_SEQUENCE: readonly BootPhase[] = [
  { phase: 'hardware', purpose: 'what this machine is, read at every start', steps: [inventoryStep] },
  { phase: 'identity', purpose: 'who this node is: derived once, kept across reboots', steps: [identityStep, nodeSummaryStep] },
  { phase: 'host', purpose: 'the machine itself (only with --apply-host)', steps: [hostnameStep] },
];

export const bootSteps: readonly AnyStep<BootContext>[] = BOOT_SEQUENCE.flatMap((p) => p.steps);

/** The phase a step belongs to. */
export function phaseOf(step: string): string | undefined {
  return BOOT_SEQUENCE.find((p) => p.steps.some((s) => s.name === step))?.phase;
}
