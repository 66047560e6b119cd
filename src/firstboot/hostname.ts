/**
 * Applying the node's hostname to the machine it runs on: /etc/hostname (next boots),
 * the kernel's hostname (this boot, via /proc) and the 127.0.1.1 line of /etc/hosts
 * (so the name resolves locally). Only the image's service does this (`--apply-host`);
 * the root is a parameter so tests apply it to a directory of their own.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';

/** RFC 1123 host label: what identity hostnames are, and all `hostname` may be set to here. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkHostname(name: string): string {
  if (!LABEL.test(name)) {
    throw new ValidationError('hostname', [
      {
        path: '/hostname',
        message: `'${name}' is not a host name (lowercase letters, digits and inner '-', at most 63)`,
      },
    ]);
  }
  return name;
}

/** /etc/hosts with the 127.0.1.1 line naming `name` (replaced, or added after 127.0.0.1). */
export function hostsWithHostname(hosts: string, name: string): string {
  const lines = hosts.split('\n');
  const line = `127.0.1.1\t${name}`;
  const i = lines.findIndex((l) => /^127\.0\.1\.1\s/.test(l));
  if (i >= 0) lines[i] = line;
  else {
    const lo = lines.findIndex((l) => /^127\.0\.0\.1\s/.test(l));
    lines.splice(lo >= 0 ? lo + 1 : 0, 0, line);
  }
  return lines.join('\n');
}

export interface HostnameTargets {
  /** Root of the file system holding etc/ (`/` on the node). */
  root: string;
  /** Where the running kernel's hostname is written (`/proc/sys/kernel/hostname`), or null to skip. */
  kernelHostnameFile: string | null;
}

export const LIVE_TARGETS: HostnameTargets = { root: '/', kernelHostnameFile: '/proc/sys/kernel/hostname' };

/** Writes a small file and flushes it to disk (a reset right after must not lose it). */
async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, 'w', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function applyHostname(name: string, targets: HostnameTargets = LIVE_TARGETS): Promise<void> {
  checkHostname(name);
  const etc = path.join(targets.root, 'etc');
  await writeDurably(path.join(etc, 'hostname'), name + '\n');
  const hostsFile = path.join(etc, 'hosts');
  let hosts = '127.0.0.1\tlocalhost\n';
  try {
    hosts = await fs.readFile(hostsFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await writeDurably(hostsFile, hostsWithHostname(hosts, name));
  if (targets.kernelHostnameFile) await fs.writeFile(targets.kernelHostnameFile, name);
}
