/** `lscpu` text output → CPU facts. Pure; never throws. */
import { clean, squash, toInt } from '../clean.js';
import type { CpuFacts } from './cpuinfo.js';

export function parseLscpu(text: string): CpuFacts {
  const f: Record<string, string> = {};
  for (const line of String(text).split('\n')) {
    const m = /^\s*([^:]+?):\s+(.*)$/.exec(line);
    if (m && m[1] && !(m[1] in f)) f[m[1]] = (m[2] ?? '').trim();
  }
  const threads = toInt(f['CPU(s)']);
  const sockets = toInt(f['Socket(s)']);
  const perSocket = toInt(f['Core(s) per socket']) ?? toInt(f['Core(s) per cluster']);
  const perCore = toInt(f['Thread(s) per core']);
  let cores: number | null = null;
  if (perSocket !== null && perSocket > 0) cores = perSocket * (sockets && sockets > 0 ? sockets : 1);
  else if (threads !== null && perCore) cores = Math.floor(threads / perCore);
  return {
    vendor: clean(f['Vendor ID']),
    model: squash(clean(f['Model name'])),
    sockets: sockets && sockets > 0 ? sockets : null,
    cores: cores && cores > 0 ? cores : null,
    threads: threads && threads > 0 ? threads : null,
    flags: (f['Flags'] ?? '').split(/\s+/).filter((s) => /^[a-z0-9_.]+$/i.test(s)),
  };
}
