/**
 * Small JSON documents in the data dir, written atomically (temp file, fsync, rename),
 * so a power cut leaves either the old or the new version, never half of one. Shared by every
 * layer that persists something (boot progress, identity, advert generation, node state).
 */
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { NucmeshError } from '../errors.js';

export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const message = `cannot read ${file}: ${(e as Error).message}`;
    throw new NucmeshError('E_STATE_READ', message, { data: { file }, cause: e });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    const message = `${file} is not valid JSON; move it away to start that state afresh`;
    throw new NucmeshError('E_STATE_CORRUPT', message, { data: { file }, cause: e });
  }
}

export async function writeJsonFile(file: string, value: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', mode);
}

/**
 * A file with a secret in it (a k3s token): mode 0600 from its first byte, written atomically.
 * The directory is made 0700 when missing.
 */
export async function writeSecretFile(file: string, data: string | Buffer): Promise<void> {
  await writeFileAtomic(file, data, 0o600);
}

/**
 * Writes `data` to a new temp file of `mode` beside `file` (a unique name, created exclusively, so
 * neither a stale temp file from a crash nor a concurrent write lends it another mode), fsyncs it
 * and renames it over `file`.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await fs.open(tmp, 'wx', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await syncDir(path.dirname(file));
}

/** Makes a rename in `dir` durable: without it a power cut can bring back the old file. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
