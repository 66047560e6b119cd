/** `/proc/cpuinfo` → CPU vendor, model, sockets, cores, threads and flags. Pure; never throws. */
import { clean, squash, toInt } from '../clean.js';
import type { CpuInfo } from '../types.js';

/** The CPU part of the inventory, as one source sees it. */
export type CpuFacts = CpuInfo;

export function parseCpuinfo(text: string): CpuFacts {
  const blocks = String(text)
    .split(/\n\s*\n/)
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const key = line.slice(0, i).trim();
        if (!(key in fields)) fields[key] = line.slice(i + 1).trim();
      }
      return fields;
    })
    .filter((f) => 'processor' in f);
  if (blocks.length === 0) return { vendor: null, model: null, sockets: null, cores: null, threads: null, flags: [] };
  const b0 = blocks[0] ?? {};
  const sockets = new Set(blocks.map((b) => b['physical id']).filter((x) => x !== undefined));
  const coreKeys = new Set(
    blocks.filter((b) => b['core id'] !== undefined).map((b) => `${b['physical id'] ?? 0}/${b['core id']}`),
  );
  return {
    vendor: clean(b0['vendor_id'] ?? b0['CPU implementer'] ?? null),
    model: squash(clean(b0['model name'] ?? b0['Processor'] ?? null)),
    sockets: sockets.size > 0 ? sockets.size : null,
    cores: coreKeys.size > 0 ? coreKeys.size : (toInt(b0['cpu cores']) ?? null),
    threads: blocks.length,
    flags: (b0['flags'] ?? b0['Features'] ?? '').split(/\s+/).filter((s) => /^[a-z0-9_.]+$/i.test(s)),
  };
}
