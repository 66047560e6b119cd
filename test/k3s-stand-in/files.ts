/** The files a k3s server and agent write, at k3s' paths, and small helpers to write them. */
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';

export function write(file: string, text: string, mode = 0o600): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

export function readIf(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** A symbolic link `link` → `target`, replacing what is there unless it is a link already (printTokens). */
export function linkTo(link: string, target: string): void {
  try {
    if (lstatSync(link).isSymbolicLink()) return;
  } catch {
    // not there
  }
  rmSync(link, { force: true, recursive: true });
  symlinkSync(target, link);
}

export function randomSecret(): string {
  return randomBytes(16).toString('hex');
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A kubeconfig with embedded data (k3s.yaml) or file paths (kubelet.kubeconfig), named `default` as k3s does. */
export function kubeconfig(server: string, ca: string, cert: string, key: string, embed: boolean): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const cluster = embed ? { server, 'certificate-authority-data': b64(ca) } : { server, 'certificate-authority': ca };
  const user = embed
    ? { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) }
    : { 'client-certificate': cert, 'client-key': key };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'default', cluster }],
    contexts: [{ name: 'default', context: { cluster: 'default', user: 'default' } }],
    'current-context': 'default',
    preferences: {},
    users: [{ name: 'default', user }],
  });
}
