/**
 * Hardware inventory: `detectInventory()` reads the live machine, `detectInventory({from})`
 * replays a `nucmesh capture` directory; both build the inventory with the same pure code.
 */
import { buildInventory, type FullInventory } from './build-inventory.js';
import { prepareCaptureDir, readCaptureDir, writeCaptureDir } from './capture-dir.js';
import { readLiveSources, type LiveReadOptions } from './read-live.js';
import type { RawSources } from './sources.js';

export type { Inventory } from './types.js';
export type { FullInventory } from './build-inventory.js';

export interface DetectOptions extends LiveReadOptions {
  /** A capture directory to use instead of the live machine. */
  from?: string;
}

export async function readSources(opts: DetectOptions = {}): Promise<RawSources> {
  return opts.from !== undefined ? readCaptureDir(opts.from) : readLiveSources(opts);
}

export async function detectInventory(opts: DetectOptions = {}): Promise<FullInventory> {
  return buildInventory(await readSources(opts));
}

/** Read every live source and write it into `dir`; returns the files written and the sources. */
export async function captureTo(
  dir: string,
  opts: LiveReadOptions = {},
): Promise<{ files: string[]; sources: RawSources }> {
  await prepareCaptureDir(dir);
  const sources = await readLiveSources(opts);
  const files = await writeCaptureDir(dir, sources, { capturedAt: new Date().toISOString() });
  return { files, sources };
}
