/**
 * Real Kubernetes parts under the k3s stand-in, or its placeholder API. The stand-in runs real
 * etcd, kube-apiserver, kube-controller-manager and kubemark when K3S_STANDIN_K8S_BINS names their
 * bin folder; the warehouse sets it when scripts/k8s-test-bins.sh has built the pinned parts (in
 * $NUCMESH_K8S_BINS, default /var/cache/nucmesh/k8s-bins), and otherwise says why not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { k8sBinDir, k8sPartsMissing } from '../../k8s-parts/bins.js';
import { repoRoot } from '../../helpers/paths.js';
import type { K8sMode } from './state.js';

export const DEFAULT_K8S_BINS = '/var/cache/nucmesh/k8s-bins';
export const STANDIN_BINS_ENV = 'K3S_STANDIN_K8S_BINS';

/** The compiled stand-in the wrapper test/k3s-stand-in/k3s runs. */
export const standInDist = path.join(repoRoot, 'dist/test/k3s-stand-in');

/** Does the compiled stand-in in `dir` read STANDIN_BINS_ENV (the checkout has the real-parts stand-in)? */
export function standInRunsRealParts(dir = standInDist): boolean {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .some((f) => readFileSync(path.join(dir, f), 'utf8').includes(STANDIN_BINS_ENV));
  } catch {
    return false;
  }
}

export function k8sMode(env: NodeJS.ProcessEnv = process.env, standIn = standInDist): K8sMode {
  if (!standInRunsRealParts(standIn))
    return {
      real: false,
      reason: `the stand-in of this checkout (${standIn}) does not run real parts yet (it reads no ${STANDIN_BINS_ENV})`,
    };
  const saved = process.env['NUCMESH_K8S_BINS'];
  process.env['NUCMESH_K8S_BINS'] = env['NUCMESH_K8S_BINS'] ?? DEFAULT_K8S_BINS;
  try {
    const binDir = k8sBinDir();
    const missing = k8sPartsMissing(binDir);
    return missing === false ? { real: true, binDir } : { real: false, reason: missing };
  } finally {
    if (saved === undefined) delete process.env['NUCMESH_K8S_BINS'];
    else process.env['NUCMESH_K8S_BINS'] = saved;
  }
}

/** The agents' environment for the mode (the stand-in, their child, inherits it). */
export function k8sEnv(mode: K8sMode): NodeJS.ProcessEnv {
  return mode.real ? { [STANDIN_BINS_ENV]: mode.binDir } : {};
}

export function describeK8sMode(mode: K8sMode): string {
  return mode.real
    ? `real Kubernetes parts (etcd, kube-apiserver, kube-controller-manager, kubemark) from ${mode.binDir}`
    : `the stand-in's placeholder Kubernetes API, because ${mode.reason}`;
}
