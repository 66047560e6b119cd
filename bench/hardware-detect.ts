/**
 * Measures hardware detection: wall time of a live detect (all commands in parallel) and of
 * a replay from a capture, and the memory it costs. Not a test: run by hand.
 *   npx tsc -p . && node --expose-gc dist/bench/hardware-detect.js [captureDir]
 */
import path from 'node:path';
import { detectInventory } from '../src/firstboot/hardware/index.js';
import { repoRoot } from '../test/helpers/paths.js';

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

async function time(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log(
    `${label}: median ${ms[Math.floor(ms.length / 2)]?.toFixed(1)} ms, min ${ms[0]?.toFixed(1)} ms, max ${ms[ms.length - 1]?.toFixed(1)} ms over ${runs} runs`,
  );
}

const capture = process.argv[2] ?? path.join(repoRoot, 'test/fixtures/hardware/synthetic-nuc11tnbv7');
gc?.();
const rss0 = process.memoryUsage().rss;
await time('live detect', 5, () => detectInventory());
await time(`replay ${path.basename(capture)}`, 20, () => detectInventory({ from: capture }));
gc?.();
const inv = await detectInventory();
console.log(
  `inventory JSON: ${JSON.stringify(inv).length} bytes; RSS before ${mb(rss0)}, after ${mb(process.memoryUsage().rss)}, heap used ${mb(process.memoryUsage().heapUsed)}`,
);
