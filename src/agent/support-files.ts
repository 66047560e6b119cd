/**
 * The files of the support bundle (GET /v1/support-bundle), each written straight to its file:
 * command output is piped there, JSON written once. Secrets never get in: the fleet config and
 * the k3s config are written with every secret-looking field replaced (redactSecrets), the logs
 * are the agent's (redacted at the source) and the system's.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { readFile, writeFile, cp } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import YAML from 'yaml';
import type { BundleFile, LogStream } from '../api/app.js';
import type { LogUnit } from '../api/ops-schemas.js';

export const REDACTED = '[redacted]';
/** Keys whose values are secrets (the fleet key, API tokens, the CA key, k3s tokens, passwords). */
const SECRET_KEY = /token|secret|passw|key$|^key|credential|datastore|certificate-authority-data|client-key/i;

/** A copy of a parsed document with every secret-looking value replaced. */
export function redactSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactSecrets);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k,
        SECRET_KEY.test(k) ? REDACTED : redactSecrets(x),
      ]),
    );
  return v;
}

export const jsonFile = (name: string, value: () => unknown | Promise<unknown>): BundleFile => ({
  name,
  write: async (p) => writeFile(p, JSON.stringify(await value(), null, 2) + '\n', { mode: 0o600 }),
});

/** A command's output (stdout and stderr) into the file; fails when it cannot start. */
export const commandFile = (name: string, cmd: string, args: string[], timeoutMs = 15_000): BundleFile => ({
  name,
  write: async (p) => {
    const out = createWriteStream(p, { mode: 0o600 });
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    }).finally(() => out.end());
    await finished(out);
    if (code !== 0) await writeFile(p, `\n(${cmd} exited with ${code})\n`, { flag: 'a' });
  },
});

/** A YAML file of the node, redacted; `(absent)` when there is none. */
export const redactedYamlFile = (name: string, source: () => Promise<unknown> | unknown): BundleFile => ({
  name,
  write: async (p) => {
    const doc = await source();
    const text = doc === undefined ? '# (absent on this node)\n' : YAML.stringify(redactSecrets(doc));
    await writeFile(p, text, { mode: 0o600 });
  },
});

export async function readYamlIfThere(file: string): Promise<unknown> {
  if (!existsSync(file)) return undefined;
  return YAML.parse(await readFile(file, 'utf8')) as unknown;
}

/** Log lines of a unit as text, one a line, streamed into the file. */
export const logFile = (
  name: string,
  unit: LogUnit,
  logs: (q: { unit: LogUnit; lines: number; follow: false }) => Promise<LogStream>,
): BundleFile => ({
  name,
  write: async (p) => {
    const out = createWriteStream(p, { mode: 0o600 });
    const s = await logs({ unit, lines: 5000, follow: false });
    try {
      for await (const l of s.lines)
        if (!out.write(`${l.time} ${l.message}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    } finally {
      s.close();
      out.end();
    }
    await finished(out);
  },
});

/** A directory copied in (a capture directory given with --hardware-from). */
export const copiedDir = (name: string, from: string): BundleFile => ({
  name,
  write: (p) => cp(from, p, { recursive: true }),
});
