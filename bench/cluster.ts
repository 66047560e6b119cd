/**
 * The cluster on the real Kubernetes parts: 5 `nucmesh agent`s in network namespaces, each with
 * the k3s stand-in running real etcd, kube-apiserver and kube-controller-manager (servers) and the
 * hollow kubelet (every node). Measured from the last start: every node a member (its state) and
 * every Node Ready (the API); then, every process of one server killed, the time until an agent
 * has replaced it (the dead Node gone, 3 Ready servers, 3 voting etcd members); and the RSS of
 * each kind of process per node. Baseline in the same run: the same 5 nodes on the stand-in's
 * placeholder (no real parts), so the figures show what the real parts cost.
 * Needs root, the shared hardware fixtures and the built parts (scripts/k8s-test-bins.sh).
 *
 *   npx tsc -p . && node dist/bench/cluster.js [--runs R]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetnsLab, waitFor } from '../test/netns/harness.js';
import { kubeInNetns } from '../test/netns/kube-in-netns.js';
import { cliPath, hardwareFixturesDir } from '../test/helpers/paths.js';
import { standInBin } from '../test/helpers/k3s-stand-in.js';
import { k8sBinDir, k8sPartsMissing } from '../test/k8s-parts/bins.js';
import { newFleetConfig, renderFleetConfig } from '../src/config/fleet.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
const N = 5;
const REPLACE_AFTER_S = 10;
const GRACE_S = 16;
const missing = k8sPartsMissing();
if (missing) {
  console.error(missing);
  process.exit(3);
}
const captures = readdirSync(hardwareFixturesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

interface KNode {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}
const ready = (n: KNode) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** RSS in MiB of every process in a namespace, by kind. */
function rssByKind(netns: string): Map<string, number> {
  const out = new Map<string, number>();
  const pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      const kind = /cli\/bin\.js agent/.test(cmd)
        ? 'nucmesh agent'
        : /kube-apiserver/.test(cmd)
          ? 'kube-apiserver'
          : /kube-controller-manager/.test(cmd)
            ? 'kube-controller-manager'
            : /--morph=kubelet/.test(cmd)
              ? 'hollow kubelet (kubemark)'
              : /bin\/etcd\b/.test(cmd)
                ? 'etcd'
                : /k3s-stand-in/.test(cmd)
                  ? 'stand-in (k3s supervisor)'
                  : undefined;
      if (kind && rss > 0) out.set(kind, (out.get(kind) ?? 0) + rss);
    } catch {
      // gone
    }
  }
  return out;
}

interface Result {
  members: number;
  ready: number;
  replaced?: number;
  rss: Map<string, number[]>;
}

async function once(real: boolean, run: number): Promise<Result> {
  const lab = new NetnsLab();
  const kube = kubeInNetns(lab);
  const root = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-bench-cluster-'));
  const fleetFile = path.join(root, 'fleet.yaml');
  const base = newFleetConfig('bench');
  const config = {
    ...base,
    servers: { count: 3, replaceAfterSeconds: REPLACE_AFTER_S },
    k3s: { ...base.k3s, serverArgs: [`--kube-controller-manager-arg=node-monitor-grace-period=${GRACE_S}s`] },
  };
  writeFileSync(fleetFile, renderFleetConfig(config), { mode: 0o600 });
  const hosts: string[] = [];
  const dir = (h: string) => path.join(root, h);
  const state = (h: string): string | undefined => {
    try {
      return (JSON.parse(readFileSync(path.join(dir(h), 'node-state.json'), 'utf8')) as { state: string }).state;
    } catch {
      return undefined;
    }
  };
  const killAll = (h: string): void => lab.killAllIn(h);
  const dead = new Set<string>();
  const nodes = async (): Promise<KNode[] | undefined> => {
    const via = hosts.find((h) => !dead.has(h) && state(h) === 'server');
    if (!via) return undefined;
    const r = await kube.request(via, path.join(dir(via), 'k3s/etc/k3s.yaml'), 'GET', '/api/v1/nodes');
    return r.status === 200 ? (r.body as { items: KNode[] }).items : undefined;
  };
  try {
    lab.addLan('a');
    for (let i = 0; i < N; i++) {
      const h = `c${run}${real ? 'r' : 'p'}${i}`;
      hosts.push(h);
      lab.addHost(h, [{ lan: 'a', address: `10.71.0.${i + 1}/24` }]);
      const k3s = path.join(dir(h), 'k3s');
      const capture = path.join(hardwareFixturesDir, captures[i % captures.length] as string);
      lab.spawn(
        h,
        process.execPath,
        [
          ...[cliPath, 'agent', '--fleet', fleetFile, '--data-dir', dir(h), '--hardware-from', capture],
          ...['--interface', 'eth0', '--k3s-mode', 'child', '--k3s-bin', standInBin],
          ...['--k3s-config', path.join(k3s, 'etc/config.yaml'), '--k3s-data-dir', path.join(k3s, 'data')],
          ...['--k3s-kubeconfig', path.join(k3s, 'etc/k3s.yaml')],
        ],
        {
          NUCMESH_LOG_FORMAT: 'json',
          NUCMESH_LOG_LEVEL: 'warn',
          ...(real ? { K3S_STANDIN_K8S_BINS: k8sBinDir() } : {}),
        },
      );
    }
    const t0 = performance.now();
    await waitFor(
      'all members',
      () => hosts.every((h) => ['server', 'agent'].includes(state(h) ?? '')) || undefined,
      900_000,
      250,
    );
    const members = (performance.now() - t0) / 1000;
    await waitFor(
      'all Nodes Ready',
      async () => {
        const n = await nodes();
        return n && n.length === N && n.every(ready) ? true : undefined;
      },
      600_000,
      500,
    );
    const readyAt = (performance.now() - t0) / 1000;
    // Settle, then the RSS of every kind of process per node.
    await new Promise((r) => setTimeout(r, 10_000));
    const rss = new Map<string, number[]>();
    for (const h of hosts)
      for (const [kind, mib] of rssByKind(lab.host(h).netns)) rss.set(kind, [...(rss.get(kind) ?? []), mib]);
    if (!real) return { members, ready: readyAt, rss };
    const victim = hosts.find((h) => state(h) === 'server' && !existsSync(path.join(dir(h), 'seed-tokens.json')));
    if (!victim) throw new Error('no server to kill');
    const victimName = (
      JSON.parse(readFileSync(path.join(dir(victim), 'identity.json'), 'utf8')) as { hostname: string }
    ).hostname;
    const t1 = performance.now();
    dead.add(victim);
    killAll(victim);
    await waitFor(
      'the lost server replaced',
      async () => {
        const n = await nodes();
        if (!n || n.some((x) => x.metadata.name === victimName)) return undefined;
        const servers = n.filter((x) => x.metadata.labels?.['node-role.kubernetes.io/etcd'] === 'true' && ready(x));
        return servers.length === 3 ? true : undefined;
      },
      600_000,
      1000,
    );
    return { members, ready: readyAt, replaced: (performance.now() - t1) / 1000, rss };
  } finally {
    for (const h of hosts)
      try {
        killAll(h);
      } catch {
        // no namespace
      }
    await lab.cleanup();
    kube.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (xs: number[]) =>
  xs.length
    ? `${median(xs).toFixed(1)}${xs.length > 1 ? ` (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})` : ''}`
    : '-';
const results: Record<'placeholder' | 'real', Result[]> = { placeholder: [], real: [] };
for (let r = 0; r < runs; r++) {
  results.placeholder.push(await once(false, r));
  results.real.push(await once(true, r));
}
console.log(`| ${N} nodes | all members (s) | all Nodes Ready (s) | lost server replaced (s) |`);
console.log('|---|---|---|---|');
for (const mode of ['placeholder', 'real'] as const) {
  const rs = results[mode];
  console.log(
    `| ${mode === 'real' ? 'real parts' : 'placeholder (baseline)'} | ${fmt(rs.map((x) => x.members))} | ${fmt(rs.map((x) => x.ready))} | ${fmt(rs.flatMap((x) => (x.replaced === undefined ? [] : [x.replaced])))} |`,
  );
}
console.log('\n| process (per node that runs it) | RSS MiB, placeholder | RSS MiB, real parts |');
console.log('|---|---|---|');
const kinds = new Set([...results.placeholder, ...results.real].flatMap((x) => [...x.rss.keys()]));
for (const kind of kinds) {
  const of = (mode: 'placeholder' | 'real') => results[mode].flatMap((x) => x.rss.get(kind) ?? []);
  console.log(`| ${kind} | ${fmt(of('placeholder'))} | ${fmt(of('real'))} |`);
}
