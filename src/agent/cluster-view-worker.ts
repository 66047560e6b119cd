/**
 * GET /v1/cluster's reads (cluster-view.ts) in a worker thread: @kubernetes/client-node costs
 * ~28 MB of heap and ~73 MB of RSS for good once loaded in the agent itself (k3s-kube-check.ts
 * measured it), and the status page asks every few seconds. The worker starts with the first
 * request, serves the ones that follow, and ends after `idleMs` without one, so a node nobody
 * looks at carries none of it. Without a kubeconfig the answer comes without a worker.
 */
import { existsSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import type { ClusterView } from '../api/ops-schemas.js';
import { readClusterView } from './cluster-view.js';

const WORKER_MARK = 'nucmeshClusterView';

export type ClusterViewQuery = Parameters<typeof readClusterView>[0];
type Answer = ClusterView | { unavailable: string };

export interface ClusterViewReader {
  read(q: ClusterViewQuery): Promise<Answer>;
  /** Whether a worker runs now (tests). */
  running(): boolean;
  /** Ends the worker (if any); a later read starts another. */
  close(): Promise<void>;
}

export function clusterViewReader(o: { idleMs?: number } = {}): ClusterViewReader {
  const idleMs = o.idleMs ?? 60_000;
  let worker: Worker | undefined;
  let idle: NodeJS.Timeout | undefined;
  let next = 0;
  const pending = new Map<number, (a: Answer) => void>();
  const settleAll = (why: string): void => {
    for (const resolve of pending.values()) resolve({ unavailable: `cluster view worker: ${why}` });
    pending.clear();
  };
  const end = (): Promise<void> => {
    clearTimeout(idle);
    const w = worker;
    worker = undefined;
    return w ? w.terminate().then(() => undefined) : Promise.resolve();
  };
  const start = (): Worker => {
    const w = new Worker(new URL(import.meta.url), { workerData: { [WORKER_MARK]: true } });
    w.on('message', (m: { id: number; answer: Answer }) => {
      pending.get(m.id)?.(m.answer);
      pending.delete(m.id);
      if (pending.size > 0) return;
      w.unref();
      idle = setTimeout(() => void end(), idleMs).unref();
    });
    w.on('error', (e) => settleAll(errorMessage(e)));
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      settleAll('it exited');
    });
    return w;
  };
  return {
    read(q) {
      if (!existsSync(q.kubeconfig)) return readClusterView(q);
      clearTimeout(idle);
      const w = (worker ??= start());
      // Held while it has work; an idle worker never keeps the process alive.
      w.ref();
      const id = next++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        w.postMessage({ id, q });
      });
    },
    running: () => worker !== undefined,
    close: end,
  };
}

// The worker side, only in the worker this module starts.
if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[WORKER_MARK] === true) {
  const port = parentPort;
  port.on('message', ({ id, q }: { id: number; q: ClusterViewQuery }) => {
    readClusterView(q).then(
      (answer) => port.postMessage({ id, answer }),
      (e: unknown) => port.postMessage({ id, answer: { unavailable: errorMessage(e).slice(0, 300) } }),
    );
  });
}
