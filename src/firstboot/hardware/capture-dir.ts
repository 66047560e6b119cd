/**
 * A capture directory: every raw source as its own file (names in sources.ts), plus
 * `missing.json` with the reasons for sources that could not be read. Writing then
 * reading one gives back the same RawSources.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NucmeshError } from '../../errors.js';
import { MISSING_FILE, emptySources, type RawSources } from './sources.js';

/** Files larger than this are not sources (a capture file is at most a few hundred kB). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** Files in a capture directory that are about the capture, not sources. */
const META_FILES = new Set([MISSING_FILE, 'capture.json', 'SOURCE.md', 'README.md']);

export class CaptureDirError extends NucmeshError {
  constructor(dir: string, message: string, cause?: unknown) {
    super('E_CAPTURE_DIR', message, { data: { dir }, cause });
  }
}

function safeRelative(name: string): string {
  const norm = path.posix.normalize(name);
  if (norm.startsWith('..') || path.posix.isAbsolute(norm) || norm.includes('\0'))
    throw new Error(`unsafe capture file name: ${name}`);
  return norm;
}

/**
 * Make sure `dir` can take a fresh capture: absent or empty. A leftover file of an older
 * capture would be replayed as if it were current, so a non-empty directory is refused.
 */
export async function prepareCaptureDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new CaptureDirError(dir, `cannot create capture directory ${dir}: ${(e as Error).message}`, e);
  }
  const entries = await fs.readdir(dir);
  if (entries.length > 0)
    throw new CaptureDirError(
      dir,
      `capture directory ${dir} is not empty (${entries.length} entries); give a new or empty directory, so no stale file is replayed`,
    );
}

export async function writeCaptureDir(
  dir: string,
  src: RawSources,
  meta: Record<string, unknown> = {},
): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of [...src.files].sort(([a], [b]) => a.localeCompare(b))) {
    const rel = safeRelative(name);
    const file = path.join(dir, ...rel.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
    written.push(rel);
  }
  await fs.writeFile(
    path.join(dir, MISSING_FILE),
    JSON.stringify(Object.fromEntries([...src.missing].sort()), null, 2) + '\n',
  );
  await fs.writeFile(
    path.join(dir, 'capture.json'),
    JSON.stringify({ tool: 'nucmesh capture', ...meta }, null, 2) + '\n',
  );
  return written;
}

export async function readCaptureDir(dir: string): Promise<RawSources> {
  let st;
  try {
    st = await fs.stat(dir);
  } catch (e) {
    throw new CaptureDirError(dir, `capture directory ${dir} does not exist; make one with 'nucmesh capture DIR'`, e);
  }
  if (!st.isDirectory())
    throw new CaptureDirError(dir, `${dir} is not a directory; --from takes a 'nucmesh capture' directory`);
  const src = emptySources();
  async function walk(rel: string, depth: number): Promise<void> {
    if (depth > 4) return;
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(name, depth + 1);
      else if (e.isFile() && !(depth === 0 && META_FILES.has(e.name))) {
        const file = path.join(dir, name);
        if ((await fs.stat(file)).size > MAX_FILE_BYTES) continue;
        src.files.set(name, await fs.readFile(file, 'utf8'));
      }
    }
  }
  await walk('', 0);
  try {
    const missing = JSON.parse(await fs.readFile(path.join(dir, MISSING_FILE), 'utf8')) as unknown;
    if (missing && typeof missing === 'object' && !Array.isArray(missing)) {
      for (const [k, v] of Object.entries(missing)) if (typeof v === 'string') src.missing.set(k, v);
    }
  } catch {
    // no missing.json (a capture made by other tools, e.g. the shared fixtures)
  }
  return src;
}
