/** `/proc/meminfo` → total memory in bytes (MemTotal). Pure; never throws. */
import { parseSize } from '../clean.js';

export interface MeminfoFacts {
  totalBytes: number | null;
}

export function parseMeminfo(text: string): MeminfoFacts {
  const m = /^MemTotal:\s*(\d+\s*kB)\s*$/m.exec(String(text));
  const bytes = m ? parseSize(m[1]) : null;
  return { totalBytes: bytes && bytes > 0 ? bytes : null };
}
