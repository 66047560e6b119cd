/**
 * The boot sequence as named, idempotent steps whose progress is persisted.
 * A step that completed is not run again after a restart or reboot; a step that
 * failed or was interrupted runs again from its start (so each step must be safe
 * to repeat). Progress lives in `<dataDir>/progress.json`.
 */
import path from 'node:path';
import { NucmeshError } from '../errors.js';
import { readJsonFile, writeJsonFile } from '../node/state-file.js';

export interface StepRecord {
  /** Completed, with the attempt count it took. */
  doneAt: string;
  attempts: number;
}

export interface Progress {
  version: 1;
  steps: Record<string, StepRecord>;
  /** Attempts of steps not yet done. */
  attempts: Record<string, number>;
}

export interface Step<C> {
  name: string;
  /** `once` steps are skipped when recorded done; `always` steps run at every start. */
  kind: 'once' | 'always';
  run(ctx: C): Promise<void>;
}

export interface StepEvents {
  onStart?(name: string, attempt: number): void;
  onSkip?(name: string): void;
  onDone?(name: string, ms: number): void;
  onFail?(name: string, err: unknown): void;
}

export class StepFailedError extends NucmeshError {
  constructor(step: string, cause: unknown) {
    super('E_STEP_FAILED', `boot step '${step}' failed: ${cause instanceof Error ? cause.message : String(cause)}`, { data: { step }, cause });
  }
}

export function progressFile(dataDir: string): string {
  return path.join(dataDir, 'progress.json');
}

export async function readProgress(dataDir: string): Promise<Progress> {
  const p = await readJsonFile<Progress>(progressFile(dataDir));
  if (p && p.version === 1 && typeof p.steps === 'object') return { version: 1, steps: p.steps, attempts: p.attempts ?? {} };
  return { version: 1, steps: {}, attempts: {} };
}

export async function runSteps<C>(dataDir: string, steps: Step<C>[], ctx: C, events: StepEvents = {}, now: () => Date = () => new Date()): Promise<Progress> {
  const progress = await readProgress(dataDir);
  for (const step of steps) {
    if (step.kind === 'once' && progress.steps[step.name]) {
      events.onSkip?.(step.name);
      continue;
    }
    const attempt = (progress.attempts[step.name] ?? 0) + 1;
    progress.attempts[step.name] = attempt;
    await writeJsonFile(progressFile(dataDir), progress);
    events.onStart?.(step.name, attempt);
    const t0 = performance.now();
    try {
      await step.run(ctx);
    } catch (err) {
      events.onFail?.(step.name, err);
      throw new StepFailedError(step.name, err);
    }
    delete progress.attempts[step.name];
    progress.steps[step.name] = { doneAt: now().toISOString(), attempts: attempt };
    await writeJsonFile(progressFile(dataDir), progress);
    events.onDone?.(step.name, Math.round(performance.now() - t0));
  }
  return progress;
}
