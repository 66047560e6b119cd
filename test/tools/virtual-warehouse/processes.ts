/**
 * Processes the warehouse started, known by PID and start time (field 22 of /proc/PID/stat), so
 * that a PID reused by another process after ours ended is never signalled. Nothing is ever
 * looked up or killed by name.
 */
import { readFileSync } from 'node:fs';

export interface RecordedProcess {
  pid: number;
  /** Clock ticks since boot at which it started (/proc/PID/stat field 22). */
  startTime: string;
}

/** The start time of PID from the text of /proc/PID/stat (its name, in parentheses, may hold spaces). */
export function startTimeOf(statText: string): string | undefined {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start at field 3 (state): field 22 is at index 22 - 3.
  return fields[19];
}

function readStartTime(pid: number): string | undefined {
  try {
    return startTimeOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function recordProcess(pid: number): RecordedProcess {
  const startTime = readStartTime(pid);
  if (startTime === undefined) throw new Error(`process ${pid} ended before it could be recorded`);
  return { pid, startTime };
}

/** Is the recorded process still running (the same process, not a later one with its PID)? */
export function isRunning(p: RecordedProcess): boolean {
  return readStartTime(p.pid) === p.startTime && isAlive(p.pid);
}

/** Does PID run (exists and has not ended: a zombie waiting for its parent to reap it has)? */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Sends SIG to the recorded process when it is still that process; whether it was sent. */
export function signal(p: RecordedProcess, sig: NodeJS.Signals): boolean {
  if (!isRunning(p)) return false;
  try {
    process.kill(p.pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, up to `graceMs` to exit, then SIGKILL; the PIDs that needed SIGKILL. */
export async function stopProcesses(list: readonly RecordedProcess[], graceMs: number): Promise<number[]> {
  for (const p of list) signal(p, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (list.some(isRunning) && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
  const killed = list.filter((p) => signal(p, 'SIGKILL')).map((p) => p.pid);
  const hard = Date.now() + 5000;
  while (list.some(isRunning) && Date.now() < hard) await new Promise((r) => setTimeout(r, 100));
  return killed;
}
