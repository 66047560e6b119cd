/**
 * Where scripts/k8s-test-bins.sh put the real Kubernetes parts, at the versions pinned in
 * scripts/k8s-versions.env, and why a test must skip when they are not there.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

export const versionsFile = path.join(repoRoot, 'scripts/k8s-versions.env');

export interface K8sVersions {
  k3s: string;
  kubernetes: string;
  etcd: string;
}

/** Parses KEY=value lines (comments and blank lines skipped) of a versions file. */
export function parseVersionsEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) values[match[1]] = match[2];
  }
  return values;
}

export function readK8sVersions(file = versionsFile): K8sVersions {
  const values = parseVersionsEnv(readFileSync(file, 'utf8'));
  const pick = (key: string): string => {
    const value = values[key];
    if (value === undefined) throw new Error(`${file} has no ${key}=`);
    return value;
  };
  return { k3s: pick('K3S_VERSION'), kubernetes: pick('KUBERNETES_VERSION'), etcd: pick('ETCD_VERSION') };
}

export const partNames = ['etcd', 'etcdctl', 'kube-apiserver', 'kube-controller-manager', 'kubemark'] as const;
export type PartName = (typeof partNames)[number];

/** The bin folder of the pinned Kubernetes version ($NUCMESH_K8S_BINS overrides .cache/k8s/). */
export function k8sBinDir(versions = readK8sVersions()): string {
  const root = process.env['NUCMESH_K8S_BINS'] ?? path.join(repoRoot, '.cache/k8s');
  return path.join(root, versions.kubernetes, 'bin');
}

export function partPath(name: PartName, binDir = k8sBinDir()): string {
  return path.join(binDir, name);
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The go command scripts/k8s-test-bins.sh would use ($NUCMESH_GO, PATH, /usr/local/go), or undefined. */
export function findGo(
  pathVariable = process.env['PATH'] ?? '',
  named = process.env['NUCMESH_GO'],
): string | undefined {
  if (named !== undefined) return executable(named) ? named : undefined;
  const candidates = pathVariable
    .split(':')
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, 'go'));
  return [...candidates, '/usr/local/go/bin/go'].find(executable);
}

/**
 * The skip reason when a part is not built (saying what to install or run), or false when all
 * are there. Never a silent pass: tests call this and skip with its text.
 */
export function k8sPartsMissing(binDir = k8sBinDir(), versions = readK8sVersions()): string | false {
  const missing = partNames.filter((name) => !executable(partPath(name, binDir)));
  const stamp = path.join(binDir, '../stamp');
  const wanted = `kubernetes=${versions.kubernetes} etcd=${versions.etcd}`;
  const current = existsSync(stamp) && readFileSync(stamp, 'utf8').includes(wanted);
  if (missing.length === 0 && current) return false;
  const what = missing.length > 0 ? missing.join(', ') : `a build stamp with ${wanted}`;
  const how =
    findGo() === undefined
      ? 'Go is not installed: install Go >= 1.26 (go.dev/dl, into /usr/local/go), then run scripts/k8s-test-bins.sh'
      : 'run scripts/k8s-test-bins.sh (Go is installed; the cold build takes the time given in README.md)';
  return `real Kubernetes parts not built (${what} missing in ${binDir}): ${how}`;
}
