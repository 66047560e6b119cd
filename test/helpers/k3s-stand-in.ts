/** Running the k3s stand-in (test/k3s-stand-in/k3s) from tests: its path, free ports, spawned processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';
import { repoRoot } from './paths.js';

/** The stand-in executable (a shell wrapper around dist/test/k3s-stand-in/main.js). */
export const standInBin = path.join(repoRoot, 'test/k3s-stand-in/k3s');

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) if (c.pid !== undefined && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
});

export interface StandIn {
  child: ChildProcess;
  /** Everything it wrote to stderr (its log) so far. */
  log: () => string;
  exited: Promise<number | null>;
  /** SIGTERM by PID, then wait for the exit. */
  stop: () => Promise<void>;
}

export function spawnStandIn(args: string[], env: NodeJS.ProcessEnv = {}): StandIn {
  const child = spawn(standInBin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    log: () => text,
    exited,
    stop: async () => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}

/** A logger whose lines are kept, for asserting on what the driver logged (child output included). */
export function capturingLogger(): { log: Logger; text: () => string } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { log: createLogger({ format: 'json', level: 'debug', destination }), text: () => text };
}
