/**
 * The real Kubernetes parts the stand-in runs as its children (etcd, kube-apiserver,
 * kube-controller-manager, kubemark), when K3S_STANDIN_K8S_BINS names their folder. k3s runs them in its
 * own process; out of process they must still live and die with it:
 * - each child is started through `setpriv --pdeathsig KILL` (util-linux), so the kernel kills it when
 *   the stand-in dies, even by SIGKILL (a test killing the stand-in, or the whole namespace, by PID);
 *   node cannot call prctl(PR_SET_PDEATHSIG) itself. The setting survives the exec chain to the part.
 * - SIGTERM/SIGINT to the stand-in stops every child by PID, dependents first (kubelet, controller
 *   manager, apiserver, etcd): SIGTERM, SIGKILL after K3S_STANDIN_STOP_GRACE_MS (default 5000), and waits.
 * - a part that exits while the stand-in is not stopping is fatal, as a crash of an embedded part is
 *   for k3s (systemd restarts the service).
 * Each part's output goes to `<data-dir>/stand-in-logs/<part>.log` (k3s logs its parts into its own log).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startPart, stopPart, type RunningPart } from '../k8s-parts/processes.js';
import { log } from './log.js';

const STOP_GRACE_MS = Number(process.env['K3S_STANDIN_STOP_GRACE_MS'] ?? 5000);

/** The folder of the real parts, or undefined in placeholder mode. */
export function realBinDir(): string | undefined {
  const dir = process.env['K3S_STANDIN_K8S_BINS'];
  return dir === undefined || dir === '' ? undefined : dir;
}

const running: RunningPart[] = [];
let stopping = false;

export function startChild(dataDir: string, name: string, file: string, args: string[]): RunningPart {
  const logs = path.join(dataDir, 'stand-in-logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const part = startPart(name, 'setpriv', ['--pdeathsig', 'KILL', file, ...args], {
    logFile: path.join(logs, `${name.replace(/[^a-z0-9-]/gi, '_')}.log`),
  });
  running.push(part);
  void part.exited.then((exit) => {
    if (!stopping)
      log.fatal(`${name} exited unexpectedly (code ${exit.code}, signal ${exit.signal}):\n${part.logTail(15)}`);
  });
  log.info(`Running ${name} (pid ${part.pid}): ${path.basename(file)} ${args.join(' ')}`);
  return part;
}

/** Stops every child, the last started first, each by PID; resolves once all have exited. */
export async function stopChildren(): Promise<void> {
  stopping = true;
  for (const part of running.splice(0).reverse()) await stopPart(part, STOP_GRACE_MS);
}
