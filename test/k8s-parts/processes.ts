/**
 * Running the parts as child processes: output to a log file each (no pipes to fill), stopped
 * by PID (SIGTERM, then SIGKILL), also from a process exit hook when a test throws. Memory from
 * /proc/PID/status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface PartExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningPart {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** Settles when the process has exited. */
  exited: Promise<PartExit>;
  /** Undefined while it runs. */
  exit: () => PartExit | undefined;
  /** The last `lines` lines of its log. */
  logTail: (lines?: number) => string;
}

export interface StartOptions {
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run inside this network namespace (`ip netns exec`, which execs: the PID is the part's). */
  netns?: string;
}

const live = new Set<RunningPart>();
process.on('exit', () => {
  for (const part of live) killQuietly(part.pid, 'SIGKILL');
});

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function tailOf(text: string, lines: number): string {
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}

export function startPart(name: string, file: string, args: string[], o: StartOptions): RunningPart {
  const fd = openSync(o.logFile, 'a', 0o600);
  const [command, argv] = o.netns === undefined ? [file, args] : ['ip', ['netns', 'exec', o.netns, file, ...args]];
  const child = spawn(command, argv, { stdio: ['ignore', fd, fd], env: o.env ?? process.env, cwd: o.cwd });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${file}`);
  let exitState: PartExit | undefined;
  const part: RunningPart = {
    name,
    pid: child.pid,
    child,
    logFile: o.logFile,
    exited: new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        exitState = { code, signal };
        live.delete(part);
        resolve(exitState);
      });
    }),
    exit: () => exitState,
    logTail: (lines = 30) => tailOf(readFileSync(o.logFile, 'utf8'), lines),
  };
  live.add(part);
  return part;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopPart(part: RunningPart, graceMs = 5000): Promise<PartExit> {
  if (part.exit() !== undefined) return part.exited;
  killQuietly(part.pid, 'SIGTERM');
  const timer = setTimeout(() => killQuietly(part.pid, 'SIGKILL'), graceMs);
  const result = await part.exited;
  clearTimeout(timer);
  return result;
}

/** Stops parts in the order given (dependents first: the caller lists them so). */
export async function stopParts(parts: RunningPart[], graceMs?: number): Promise<void> {
  for (const part of parts) await stopPart(part, graceMs);
}

export interface Memory {
  /** Resident now, KiB. */
  rssKiB: number;
  /** Peak resident, KiB. */
  peakKiB: number;
}

/** Parses VmRSS and VmHWM of a /proc/PID/status text. */
export function parseProcStatusMemory(status: string): Memory {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (match?.[1] === undefined) throw new Error(`no ${name} in /proc status`);
    return Number(match[1]);
  };
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
}

export function memoryOf(pid: number): Memory {
  return parseProcStatusMemory(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick). */
export function freeLoopbackPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the error. */
  what: string;
  /** Parts whose exit ends the wait at once (the error carries the log tail). */
  watch?: RunningPart[];
}

/** Polls `probe` until it returns a value other than undefined. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, o: WaitOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let lastError: unknown;
  for (;;) {
    for (const part of o.watch ?? []) {
      const exit = part.exit();
      if (exit !== undefined)
        throw new Error(
          `${part.name} exited (code ${exit.code}, signal ${exit.signal}) while waiting for ${o.what}:\n${part.logTail()}`,
        );
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${o.timeoutMs} ms waiting for ${o.what}`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, o.intervalMs ?? 250));
  }
}
