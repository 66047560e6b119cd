/**
 * The bootstrap on real hosts: N `nucmesh agent`s in network namespaces on one bridge, each with
 * the k3s stand-in as its child, all started at once. Measured from the last start: when every
 * node has decided (its cluster.json is written: seed or join) and when every node is a member
 * (server or agent of one cluster). Baseline in the same run: a 1-node fleet (no peers to wait
 * for: the forming window, the claim hold and one k3s start), so the figures show what the
 * peers add. Needs root and the shared hardware fixtures.
 *
 *   npx tsc -p . && node dist/bench/bootstrap.js [N ...] [--runs R]      (default: 1 3 5 10, 1 run)
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetnsLab, waitFor, type Spawned } from '../test/netns/harness.js';
import { cliPath, hardwareFixturesDir } from '../test/helpers/paths.js';
import { standInBin } from '../test/helpers/k3s-stand-in.js';
import { newFleetConfig, renderFleetConfig } from '../src/config/fleet.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
const sizes = args.filter((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1)).map(Number);
const NODES = sizes.length > 0 ? sizes : [1, 3, 5, 10];

const captures = readdirSync(hardwareFixturesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

function stateOf(dir: string): string | undefined {
  const f = path.join(dir, 'node-state.json');
  try {
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { state: string }).state : undefined;
  } catch {
    return undefined;
  }
}

async function once(n: number, run: number): Promise<{ decided: number; joined: number; servers: number }> {
  const lab = new NetnsLab();
  const root = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-bench-boot-'));
  const fleetFile = path.join(root, 'fleet.yaml');
  writeFileSync(fleetFile, renderFleetConfig(newFleetConfig('bench')), { mode: 0o600 });
  const agents: Spawned[] = [];
  try {
    lab.addLan('a');
    const dirs: string[] = [];
    for (let i = 0; i < n; i++) {
      const host = `h${run}-${i}`;
      lab.addHost(host, [{ lan: 'a', address: `10.70.${Math.floor(i / 250)}.${(i % 250) + 1}/16` }]);
      const dir = path.join(root, host);
      dirs.push(dir);
      const k3s = path.join(dir, 'k3s');
      const capture = path.join(hardwareFixturesDir, captures[i % captures.length] as string);
      agents.push(
        lab.spawn(
          host,
          process.execPath,
          [
            ...[cliPath, 'agent', '--fleet', fleetFile, '--data-dir', dir, '--hardware-from', capture],
            ...['--interface', 'eth0', '--k3s-mode', 'child', '--k3s-bin', standInBin],
            ...['--k3s-config', path.join(k3s, 'etc/config.yaml'), '--k3s-data-dir', path.join(k3s, 'data')],
            ...['--k3s-kubeconfig', path.join(k3s, 'etc/k3s.yaml')],
          ],
          { NUCMESH_LOG_FORMAT: 'json', NUCMESH_LOG_LEVEL: 'warn' },
        ),
      );
    }
    const t0 = performance.now();
    await waitFor(
      'all decided',
      () => (dirs.every((d) => existsSync(path.join(d, 'cluster.json'))) ? true : undefined),
      600_000,
      100,
    );
    const decided = (performance.now() - t0) / 1000;
    await waitFor(
      'all members',
      () => (dirs.every((d) => ['server', 'agent'].includes(stateOf(d) ?? '')) ? true : undefined),
      900_000,
      200,
    );
    const joined = (performance.now() - t0) / 1000;
    const servers = dirs.filter((d) => stateOf(d) === 'server').length;
    return { decided, joined, servers };
  } finally {
    await lab.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
console.log('| nodes | all decided (s, median / max) | all members (s, median / max) | servers |');
console.log('|---|---|---|---|');
for (const n of NODES) {
  const results = [];
  for (let r = 0; r < runs; r++) results.push(await once(n, r));
  const d = results.map((x) => x.decided);
  const j = results.map((x) => x.joined);
  const fmt = (xs: number[]) => `${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`;
  console.log(
    `| ${n}${n === 1 ? ' (baseline)' : ''} | ${fmt(d)} | ${fmt(j)} | ${results.map((x) => x.servers).join(', ')} |`,
  );
}
