/**
 * The node's own labels in Kubernetes: k3s applies `node-label` when the node registers (and
 * re-merges them at every start, adding, never removing: pkg/agent/run.go); this makes sure the
 * Node carries the values nucmesh wants for its own `nucmesh.io/*` keys, adding or fixing them
 * with a merge patch, and removes `nucmesh.io/*` labels that no longer describe the machine.
 * Other labels (an operator's, k3s' role labels) are never touched. The patch is sent by the
 * readiness worker (k3s-kube-check.ts), which has the Kubernetes client loaded.
 */
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
