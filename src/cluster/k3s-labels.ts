/**
 * The node's own labels in Kubernetes: k3s applies `node-label` when the node registers (and
 * re-merges them at every start, adding, never removing: pkg/agent/run.go); this makes sure the
 * Node carries the values nucmesh wants for its own `nucmesh.io/*` keys, adding or fixing them
 * with a merge patch, and removes `nucmesh.io/*` labels that no longer describe the machine.
 * Other labels (an operator's, k3s' role labels) are never touched.
 */
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { NucmeshError, errorMessage } from '../errors.js';
import { LABEL_PREFIX } from '../node/wire.js';

/**
 * The merge patch of `metadata.labels` that makes `current` carry `wanted` (null removes a key),
 * or undefined when nothing is to change. Only `wanted` keys and stale keys under our prefix move.
 */
export function labelPatch(
  current: Readonly<Record<string, string>>,
  wanted: Readonly<Record<string, string>>,
): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(wanted)) if (current[k] !== v) patch[k] = v;
  for (const k of Object.keys(current)) if (k.startsWith(LABEL_PREFIX) && !Object.hasOwn(wanted, k)) patch[k] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Reads the Node, patches its labels when they differ; returns the keys changed. */
export async function ensureNodeLabels(
  kubeconfig: string,
  nodeName: string,
  wanted: Readonly<Record<string, string>>,
): Promise<string[]> {
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const api = kc.makeApiClient(CoreV1Api);
    const node = await api.readNode({ name: nodeName });
    const patch = labelPatch(node.metadata?.labels ?? {}, wanted);
    if (!patch) return [];
    await api.patchNode(
      { name: nodeName, body: { metadata: { labels: patch } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return Object.keys(patch);
  } catch (e) {
    throw new NucmeshError('E_K3S_LABELS', `cannot set the labels of node ${nodeName}: ${errorMessage(e)}`, {
      data: { nodeName },
      cause: e,
    });
  }
}
