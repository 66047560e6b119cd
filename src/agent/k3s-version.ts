/**
 * The installed k3s' version for GET /v1/node: `k3s --version` run once and kept. Until it has
 * answered (and while no k3s is installed) the version is null; a failed look is tried again a
 * minute later at the earliest, so a k3s installed later is seen without a run per request.
 */
import { execFile } from 'node:child_process';

/** `k3s version v1.31.4+k3s1 (abcdef01)` → `v1.31.4+k3s1`; undefined for anything else. */
export function parseK3sVersion(stdout: string): string | undefined {
  return /^k3s version (v\d+\.\d+\.\d+\S*)/m.exec(stdout)?.[1];
}

export type VersionCommand = (bin: string) => Promise<string>;

const runVersion: VersionCommand = (bin) =>
  new Promise((resolve, reject) =>
    execFile(bin, ['--version'], { timeout: 5000, encoding: 'utf8' }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  );

export function k3sVersionReader(
  bin: string,
  o: { run?: VersionCommand; retryMs?: number; now?: () => number } = {},
): () => string | null {
  const run = o.run ?? runVersion;
  const now = o.now ?? (() => performance.now());
  const retryMs = o.retryMs ?? 60_000;
  let version: string | undefined;
  let looking = false;
  let lastLook = -Infinity;
  return () => {
    if (version === undefined && !looking && now() - lastLook >= retryMs) {
      looking = true;
      lastLook = now();
      run(bin)
        .then((out) => (version = parseK3sVersion(out)))
        .catch(() => undefined)
        .finally(() => (looking = false));
    }
    return version ?? null;
  };
}
