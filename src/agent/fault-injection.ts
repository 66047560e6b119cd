/**
 * Fault injection for the crash tests: with `NUCMESH_CRASH_AT_STEP=<step>` in its environment the
 * agent kills itself with SIGKILL as that boot or cluster step starts (after its start is on disk),
 * which is what a power cut at that moment leaves behind. Unset in the image; read once.
 */
const crashAt = process.env['NUCMESH_CRASH_AT_STEP'];

export function crashIfAsked(step: string): void {
  if (crashAt !== undefined && crashAt === step) process.kill(process.pid, 'SIGKILL');
}
