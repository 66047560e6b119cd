/**
 * The boot sequence: named steps, in order. `once` steps are persisted as done and
 * never redone (a reboot resumes where it stopped); `always` steps run at every start.
 * The steps need no fleet config: a node without one still shows who it is.
 */
import type { AnyStep } from '../node/steps.js';
import type { BootContext } from './boot-context.js';
import { identityStep, inventoryStep, nodeSummaryStep } from './hardware-steps.js';
import { hostnameStep } from './host-steps.js';

export type { BootContext, BootOptions } from './boot-context.js';

export interface BootPhase {
  phase: string;
  /** What the phase is for, in one line. */
  purpose: string;
  steps: readonly AnyStep<BootContext>[];
}

/** The boot sequence, top to bottom. The cluster phases (advertise, decide, join, k3s) come next. */
export const BOOT_SEQUENCE: readonly BootPhase[] = [
  { phase: 'hardware', purpose: 'what this machine is, read at every start', steps: [inventoryStep] },
  {
    phase: 'identity',
    purpose: 'who this node is: derived once, kept across reboots',
    steps: [identityStep, nodeSummaryStep],
  },
  { phase: 'host', purpose: 'the machine itself (only with --apply-host)', steps: [hostnameStep] },
];

export const bootSteps: readonly AnyStep<BootContext>[] = BOOT_SEQUENCE.flatMap((p) => p.steps);

/** The phase a step belongs to. */
export function phaseOf(step: string): string | undefined {
  return BOOT_SEQUENCE.find((p) => p.steps.some((s) => s.name === step))?.phase;
}
