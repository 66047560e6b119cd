/**
 * Trying again instead of exiting: a node that cannot go on stays up, says why, and retries
 * with a growing pause, so a fault that clears (a disk that settles, a port that frees up)
 * costs no restart loop and no reboot.
 */
import { pauseUnlessAborted } from '../node/pause.js';

/** Pauses between attempts: 2, 5, 10, 30 s, then every 60 s. */
export const RETRY_PAUSES_MS: readonly number[] = [2000, 5000, 10_000, 30_000, 60_000];

export function pauseAfter(attempt: number, pauses: readonly number[] = RETRY_PAUSES_MS): number {
  return pauses[Math.min(attempt - 1, pauses.length - 1)] ?? 60_000;
}

export interface RetryOptions {
  signal: AbortSignal;
  pauses?: readonly number[];
  /** Told of every failure with the pause before the next attempt. */
  onFailure(err: unknown, attempt: number, pauseMs: number): void;
}

/** Runs `fn` until it succeeds; undefined when aborted first. */
export async function retryUntilDone<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T | undefined> {
  for (let attempt = 1; !o.signal.aborted; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (o.signal.aborted) return undefined;
      const pause = pauseAfter(attempt, o.pauses);
      o.onFailure(err, attempt, pause);
      await pauseUnlessAborted(pause, o.signal);
    }
  }
  return undefined;
}
