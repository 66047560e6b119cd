/**
 * Seed election benchmark, in simulation (test/helpers/election-sim.ts: the real ElectionRunner
 * and PeerTable on a virtual LAN): time from the last node's start to "all decided" (every node
 * knows whether it seeds or which cluster it joins) and to "all joined" (every node is a server
 * or agent), for 3, 10 and 50 nodes; median, p95 and max over the runs.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/election.js [N ...] [--runs R] [--spread MS]
 *   (default 3 10 50, 30 runs each, boots spread over 10 000 ms)
 *
 * Conditions: boots spread over `--spread` ms (0: all at once, the slowest case for "decided");
 * "clean" (no loss, no flaps) and "lossy" (10 % loss, 0.5 false downs per node per minute, the
 * rate a 50-node lab on 2 cores showed). The baseline in the
 * same run is the same election with the old 20 s forming window. The join phase is modelled
 * (cluster-init 10–30 s, servers one at a time 5–15 s each, agents 3–10 s), so "all joined"
 * measures that model as much as the election. Not a test: asserts nothing.
 */
import { simulateElection, type SimParams } from '../test/helpers/election-sim.js';

interface Row {
  label: string;
  decided: number[];
  joined: number[];
  splits: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function run(label: string, base: Omit<SimParams, 'seed'>, runs: number): Row {
  const row: Row = { label, decided: [], joined: [], splits: 0 };
  for (let seed = 1; seed <= runs; seed++) {
    const r = simulateElection({ ...base, seed });
    const alive = r.nodes.filter((n) => n.alive);
    row.decided.push(Math.max(...alive.map((n) => n.decidedAt ?? Infinity)) - r.lastBootAt);
    row.joined.push(Math.max(...alive.map((n) => n.joinedAt ?? Infinity)) - r.lastBootAt);
    if (new Set(alive.map((n) => n.clusterId)).size !== 1) row.splits++;
  }
  return row;
}

const fmt = (ms: number): string => (ms / 1000).toFixed(1);
const stats = (a: number[]): string => {
  const s = [...a].sort((x, y) => x - y);
  return `${fmt(quantile(s, 0.5))} / ${fmt(quantile(s, 0.95))} / ${fmt(s[s.length - 1] ?? NaN)} s`;
};

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const runs = option('--runs', 30);
const spread = option('--spread', 10_000);
const sizes = args.filter((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')).map(Number);

const conditions = {
  clean: { loss: 0, flapsPerNodeMinute: 0 },
  lossy: { loss: 0.1, flapsPerNodeMinute: 0.5 },
};
console.log(`boots spread over ${spread} ms`);
console.log(`| nodes | condition | forming window | all decided (median / p95 / max) | all joined | splits | runs |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const nodes of sizes.length > 0 ? sizes : [3, 10, 50]) {
  for (const [name, c] of Object.entries(conditions)) {
    for (const formingSeconds of [5, 20]) {
      const base: Omit<SimParams, 'seed'> = {
        nodes,
        bootSpreadMs: spread,
        ...c,
        crashes: 0,
        lateNodes: 0,
        servers: 3,
        quorum: false,
        preferred: 0,
        formingSeconds,
        claimHoldSeconds: 4,
      };
      const t0 = performance.now();
      const row = run(name, base, runs);
      const took = ((performance.now() - t0) / 1000).toFixed(0);
      const window = formingSeconds === 5 ? '5 s (default)' : '20 s (baseline)';
      console.log(
        `| ${nodes} | ${name} | ${window} | ${stats(row.decided)} | ${stats(row.joined)} | ${row.splits} | ${runs} (${took} s) |`,
      );
    }
  }
}
