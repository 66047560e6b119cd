/**
 * The Kubernetes half of the k3s Ready check: /readyz (servers) and the Node's Ready condition, read
 * through @kubernetes/client-node with a kubeconfig. `kubeReadiness` is the check; `KubeChecker` runs it
 * in a worker thread, because the library costs ~1.7 s to load and ~28 MB of heap (+73 MB RSS for good
 * when loaded in the agent itself; in a worker that ends, +30 MB RSS stay and the heap is given back).
 */
import https from 'node:https';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { labelPatch } from './k3s-labels.js';

const WORKER_MARK = 'nucmeshKubeCheck';

export interface KubeCheck {
  kubeconfig: string;
  nodeName: string;
  /** Servers: also GET /readyz. */
  readyz: boolean;
  /** Once Ready: make the Node carry these labels (k3s-labels.ts), adding, fixing and removing stale own ones. */
  labels?: Readonly<Record<string, string>>;
}

/** undefined when ready, else what is missing. */
export async function kubeReadiness(c: KubeCheck): Promise<string | undefined> {
  const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  if (c.readyz) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) return `${c.kubeconfig} names no cluster`;
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    const readyz = await get(`${cluster.server}/readyz`, opts);
    if (readyz !== 'ok') return `/readyz: ${readyz}`;
  }
  let node;
  try {
    node = await kc.makeApiClient(CoreV1Api).readNode({ name: c.nodeName });
  } catch (e) {
    const code = (e as { code?: number }).code;
    return code === 404 ? `node ${c.nodeName} is not registered yet` : `reading node ${c.nodeName}: ${errorMessage(e)}`;
  }
  const ready = node.status?.conditions?.find((x) => x.type === 'Ready');
  if (ready?.status === 'True') {
    const patch = c.labels && labelPatch(node.metadata?.labels ?? {}, c.labels);
    if (!patch) return undefined;
    const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
    try {
      await kc
        .makeApiClient(CoreV1Api)
        .patchNode(
          { name: c.nodeName, body: { metadata: { labels: patch } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
    } catch (e) {
      return `setting the labels of node ${c.nodeName}: ${errorMessage(e)}`;
    }
    return undefined;
  }
  return `node ${c.nodeName} Ready=${ready?.status ?? 'unknown'}${ready?.reason ? ` (${ready.reason})` : ''}`;
}

function get(url: string, opts: https.RequestOptions): Promise<string> {
  return new Promise((resolve) => {
    const req = https.get(url, { ...opts, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : `${res.statusCode} ${body.trim()}`));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(e.message));
  });
}

/** One worker for the whole wait: `check` asks it, `close` ends it (and frees the library). */
export class KubeChecker {
  #worker: Worker | undefined;
  #pending: ((reason: string | undefined) => void) | undefined;

  check(c: KubeCheck): Promise<string | undefined> {
    if (!this.#worker) {
      const w = new Worker(new URL(import.meta.url), { workerData: { [WORKER_MARK]: true } });
      w.on('message', (m: { reason?: string }) => this.#settle(m.reason));
      w.on('error', (e) => this.#settle(`readiness worker: ${e.message}`));
      w.on('exit', () => {
        this.#worker = undefined;
        this.#settle('readiness worker exited');
      });
      this.#worker = w;
    }
    const worker = this.#worker;
    return new Promise((resolve) => {
      this.#pending = resolve;
      worker.postMessage(c);
    });
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (w) await w.terminate();
  }

  #settle(reason: string | undefined): void {
    const p = this.#pending;
    this.#pending = undefined;
    p?.(reason);
  }
}

// The worker side, only in the worker this module starts (never in another worker that imports it).
if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[WORKER_MARK] === true) {
  const port = parentPort;
  port.on('message', (c: KubeCheck) => {
    kubeReadiness(c).then(
      (reason) => port.postMessage({ reason }),
      (e: unknown) => port.postMessage({ reason: errorMessage(e) }),
    );
  });
}
