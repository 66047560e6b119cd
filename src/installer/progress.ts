/**
 * What the technician sees of an install: the phase under way, the share of the bytes done, the
 * rate, and in the end the outcome. Kept in memory only (nothing is written to the stick).
 */

export const INSTALL_PHASES = ['prepare', 'write', 'verify', 'identity', 'partition', 'boot-entry', 'done'] as const;
export type InstallPhase = (typeof INSTALL_PHASES)[number];

export interface InstallProgress {
  phase: InstallPhase;
  /** Bytes of the phase done and to do (write and verify). */
  done: number;
  total: number;
  /** Bytes per second over the phase so far. */
  rate: number;
}

export const PHASE_TEXT: Record<InstallPhase, string> = {
  prepare: 'marking the disk as an install in progress',
  write: 'writing',
  verify: 'verifying (reading back)',
  identity: 'giving the copy its own identity',
  partition: 'writing the partition table',
  'boot-entry': 'adding the EFI boot entry',
  done: 'done',
};

/** `writing 42% (380 of 900 MB, 61.3 MB/s)`; MB are 10^6 bytes, as disk makers count. */
export function describeProgress(p: InstallProgress): string {
  const text = PHASE_TEXT[p.phase];
  if (p.total <= 0) return text;
  const pct = Math.floor((100 * p.done) / p.total);
  const mb = (n: number) => Math.round(n / 1e6);
  return `${text} ${pct}% (${mb(p.done)} of ${mb(p.total)} MB, ${(p.rate / 1e6).toFixed(1)} MB/s)`;
}
