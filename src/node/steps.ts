/**
 * The boot sequence as named, idempotent steps whose progress is persisted.
 *
 * Each step declares what it needs from the context and what it provides (typed: its `run`
 * sees the needed fields as present and returns exactly the provided ones). A `once` step that
 * completed is not run again after a restart or reboot; its `load` brings back what it
 * produced (and when that is gone, it runs again). A step may give a reason not to run now:
 * it is recorded as skipped, with the reason, and looked at again at every start, since the
 * condition can change (a later start with --apply-host sets the hostname). A step that failed
 * or was interrupted runs again from its start, so each must be safe to repeat. A failure is
 * recorded with its error code and message. Progress lives in `<dataDir>/progress.json`,
 * written atomically before and after every step.
 */
import path from 'node:path';
import { NucmeshError, isNucmeshError, errorMessage } from '../errors.js';
import { readJsonFile, writeJsonFile } from './state-file.js';

/** The context with the fields a step needs known to be there. */
export type With<C, N extends keyof C> = C & { [K in N]-?: NonNullable<C[K]> };

export interface Step<C, N extends keyof C = never, P extends keyof C = never> {
  readonly name: string;
  /** `once` steps are skipped when recorded done; `always` steps run at every start. */
  readonly kind: 'once' | 'always';
  readonly needs: readonly N[];
  readonly provides: readonly P[];
  /** A reason not to run the step now, or undefined to run it. */
  skipReason?(ctx: With<C, N>): string | undefined;
  run(ctx: With<C, N>): Promise<Pick<C, P>>;
  /** A done `once` step: what it produced, read back on a later start; undefined when gone. */
  load?(ctx: With<C, N>): Promise<Pick<C, P> | undefined>;
}

/** A step of any needs and provides, as the sequence holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep<C> = Step<C, any, any>;

/** Keeps the step's own type parameters while checking it against the context type. */
export function defineStep<C>() {
  return <N extends keyof C = never, P extends keyof C = never>(s: Step<C, N, P>): Step<C, N, P> => s;
}

export type StepStatus = 'running' | 'done' | 'skipped' | 'failed';

export interface StepRecord {
  status: StepStatus;
  /** Attempts of this step since it was last done (1 on the first run). */
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  ms?: number;
  /** Why it was skipped. */
  reason?: string;
  /** What it failed with. */
  error?: { code: string; message: string };
}

export interface Progress {
  version: 2;
  steps: Record<string, StepRecord>;
}

export interface StepEvents {
  onStart?(name: string, attempt: number): void;
  /** A step not run: `reason` is 'already done' for a done `once` step. */
  onSkip?(name: string, reason: string): void;
  onDone?(name: string, ms: number): void;
  onFail?(name: string, err: unknown): void;
}

export class StepFailedError extends NucmeshError {
  constructor(step: string, cause: unknown) {
    super('E_STEP_FAILED', `boot step '${step}' failed: ${errorMessage(cause)}`, { data: { step }, cause });
  }
}

export function progressFile(dataDir: string): string {
  return path.join(dataDir, 'progress.json');
}

interface ProgressV1 {
  version: 1;
  steps?: Record<string, { doneAt?: string; attempts?: number }>;
  attempts?: Record<string, number>;
}

/** Reads the progress file; version 1 files (done steps and attempt counts) are taken over. */
export async function readProgress(dataDir: string): Promise<Progress> {
  const p = await readJsonFile<Progress | ProgressV1>(progressFile(dataDir));
  if (p?.version === 2 && typeof p.steps === 'object') return { version: 2, steps: p.steps };
  const steps: Record<string, StepRecord> = {};
  if (p?.version === 1) {
    for (const [name, n] of Object.entries(p.attempts ?? {})) steps[name] = { status: 'running', attempts: n };
    for (const [name, r] of Object.entries(p.steps ?? {}))
      steps[name] = { status: 'done', attempts: r.attempts ?? 1, ...(r.doneAt ? { endedAt: r.doneAt } : {}) };
  }
  return { version: 2, steps };
}

/** Every need of a step is provided by an earlier step or was in the context from the start. */
export function checkSequence<C extends object>(steps: readonly AnyStep<C>[], initial: C): void {
  const known = new Set<PropertyKey>(
    Object.keys(initial).filter((k) => (initial as Record<string, unknown>)[k] !== undefined),
  );
  for (const step of steps) {
    const missing = (step.needs as PropertyKey[]).filter((n) => !known.has(n));
    if (missing.length > 0)
      throw new NucmeshError(
        'E_STEP_ORDER',
        `boot step '${step.name}' needs ${missing.map(String).join(', ')}, which no earlier step provides`,
        { data: { step: step.name, missing: missing.map(String) } },
      );
    for (const p of step.provides as PropertyKey[]) known.add(p);
  }
}

export async function runSteps<C extends object>(
  dataDir: string,
  steps: readonly AnyStep<C>[],
  ctx: C,
  events: StepEvents = {},
  now: () => Date = () => new Date(),
): Promise<Progress> {
  checkSequence(steps, ctx);
  const progress = await readProgress(dataDir);
  const save = () => writeJsonFile(progressFile(dataDir), progress);
  for (const step of steps) {
    const prev = progress.steps[step.name];
    const missing = (step.needs as (keyof C)[]).filter((n) => ctx[n] === undefined);
    if (missing.length > 0)
      throw new StepFailedError(
        step.name,
        new Error(`it needs ${missing.map(String).join(', ')}, which an earlier step did not provide`),
      );
    // Its needs are there (checked just above), as its functions' types say.
    const ready = ctx as Parameters<AnyStep<C>['run']>[0];
    const reason = step.skipReason?.(ready);
    if (reason !== undefined) {
      progress.steps[step.name] = { status: 'skipped', attempts: 0, endedAt: now().toISOString(), reason };
      await save();
      events.onSkip?.(step.name, reason);
      continue;
    }
    if (step.kind === 'once' && prev?.status === 'done') {
      const loaded: unknown = step.load ? await step.load(ready) : {};
      if (loaded !== undefined) {
        Object.assign(ctx, loaded);
        events.onSkip?.(step.name, 'already done');
        continue;
      }
    }
    const attempt = (prev && prev.status !== 'done' && prev.status !== 'skipped' ? prev.attempts : 0) + 1;
    const startedAt = now().toISOString();
    progress.steps[step.name] = { status: 'running', attempts: attempt, startedAt };
    await save();
    events.onStart?.(step.name, attempt);
    const t0 = performance.now();
    try {
      Object.assign(ctx, await step.run(ready));
    } catch (err) {
      const ms = Math.round(performance.now() - t0);
      const code = isNucmeshError(err) ? err.code : 'E_STEP_FAILED';
      progress.steps[step.name] = {
        status: 'failed',
        attempts: attempt,
        startedAt,
        endedAt: now().toISOString(),
        ms,
        error: { code, message: errorMessage(err) },
      };
      await save();
      events.onFail?.(step.name, err);
      throw new StepFailedError(step.name, err);
    }
    const ms = Math.round(performance.now() - t0);
    progress.steps[step.name] = { status: 'done', attempts: attempt, startedAt, endedAt: now().toISOString(), ms };
    await save();
    events.onDone?.(step.name, ms);
  }
  return progress;
}
