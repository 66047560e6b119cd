/**
 * Discovery benchmark: N nodes (separate processes, one network namespace each, one LAN),
 * measuring convergence time (start → every node has all N−1 peers), packets per second per
 * node at steady state (from the interface counters: mDNS multicast and everything else,
 * i.e. the liveness heartbeats), and RSS per node.
 *
 *   npm run bench:discovery -- [N ...] [--steady S] [--settle S] [--stagger MS] [--backlog N] [--neigh-defaults]
 *   (root; default 3 10 50)
 *
 * Nodes start `--stagger` ms apart (default 200: fifty Node processes starting in the same
 * instant on two cores measure the CPU, not discovery); convergence counts from the last start.
 * The load average is printed with each result: other work on the machine skews the figures.
 *
 * `--backlog N` sets net.core.netdev_max_backlog for the run (restored afterwards): the kernel's
 * per-CPU input queue that all namespaces share (see `backlogDrops`).
 *
 * The kernel's neighbour (ARP/NDP) tables are shared by all namespaces too, and sized for one
 * host: past gc_thresh3 (1024 by default) no entry can be made and packets are dropped silently
 * (for UDP, sendmsg still succeeds): 50 hosts that each talk to 49 peers need ≈ 2500. Unless
 * `--neigh-defaults` is given, the bench raises the thresholds to fit the largest lab for the
 * run and puts them back afterwards; `neighbourTableFulls` counts the failures either way.
 *
 * `BENCH_DEBUG=1` prints, per late node, its log since the kill and where the kernel has it
 * sleeping, and when and why any false down happened.
 * `BENCH_DUMP=DIR` writes each node's stderr to DIR/bN.err at the end (with `DEBUG=ciao:*`, what
 * ciao did).
 *
 * Nodes inherit NODE_OPTIONS; unless it is set, they get the image's `--max-semi-space-size=2`.
 *
 * Not part of the test suite: it takes minutes and asserts nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { NetnsLab, waitFor, type Spawned } from '../test/netns/harness.js';
import { makeFleet, startNode, tableOf } from '../test/netns/nodes.js';

interface Result {
  nodes: number;
  convergenceMs: number;
  steadySeconds: number;
  /** Mean per node per second over the steady window. */
  mdnsSentPerNode: number;
  mdnsReceivedPerNode: number;
  otherTxPerNode: number;
  /** Liveness heartbeats each node sent per second (its own probes; it answers about as many). */
  heartbeatsPerNode: number;
  rssMeanMB: number;
  rssMaxMB: number;
  /** SIGKILL one node: time until every other node dropped it (max), and the median. */
  killMaxMs: number;
  killMedianMs: number;
  /** Nodes that did not drop the killed node within 30 s. */
  killMissed: number;
  /** `peer down` events during the steady window (all live, so every one is a false alarm). */
  falseDowns: number;
  loadAvg: string;
  /**
   * Packets the kernel dropped from its per-CPU input backlog (/proc/net/softnet_stat) from
   * the start of the steady window until every node dropped the killed one. All namespaces
   * share that backlog (net.core.netdev_max_backlog, global): every multicast packet on the
   * bridge is queued once per veth port, 50 times at 50 nodes.
   */
  backlogDrops: number;
  /** Times the kernel could not add a neighbour entry because the table was full (same window). */
  neighbourTableFulls: number;
}

/** Sum of one hex column over the per-CPU rows of a /proc/net stat file. */
function sumHexColumn(rows: string[], col: number): number {
  return rows.reduce((a, row) => a + parseInt(row.trim().split(/\s+/)[col] ?? '0', 16), 0);
}

/** Sum of the `dropped` column of /proc/net/softnet_stat over all CPUs. */
function backlogDropped(): number {
  return sumHexColumn(readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n'), 1);
}

/** `table_fulls` of the kernel's ARP and NDP tables, summed over CPUs (/proc/net/stat). */
function neighbourTableFulls(): number {
  return ['arp_cache', 'ndisc_cache'].reduce((sum, table) => {
    const [header, ...rows] = readFileSync(`/proc/net/stat/${table}`, 'utf8').trim().split('\n');
    return sum + sumHexColumn(rows, (header ?? '').trim().split(/\s+/).indexOf('table_fulls'));
  }, 0);
}

/** Write `value` to a sysctl file for the run; returns a function that puts the old value back. */
function setForRun(file: string, value: number): () => void {
  const before = readFileSync(file, 'utf8').trim();
  writeFileSync(file, String(value));
  return () => writeFileSync(file, before);
}

/**
 * Raise the neighbour-table thresholds of both families to at least `entries` (gc_thresh1),
 * twice (gc_thresh2) and four times (gc_thresh3) that; returns the restores, in raising order.
 */
function fitNeighbourTables(entries: number): (() => void)[] {
  const restores: (() => void)[] = [];
  for (const family of ['ipv4', 'ipv6']) {
    for (const k of [3, 2, 1]) {
      const file = `/proc/sys/net/${family}/neigh/default/gc_thresh${k}`;
      const min = entries * 2 ** (k - 1);
      if (Number(readFileSync(file, 'utf8')) < min) restores.push(setForRun(file, min));
    }
  }
  return restores;
}

function counters(lab: NetnsLab, host: string): { tx: number; rx: number } {
  const ns = lab.host(host).netns;
  const read = (f: string): number =>
    Number(
      execFileSync('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/eth0/statistics/${f}`])
        .toString()
        .trim(),
    );
  return { tx: read('tx_packets'), rx: read('rx_packets') };
}

/** A process's scheduler state and the kernel function it sleeps in (`?` for what cannot be read). */
function sleepingIn(pid: number): string {
  const read = (f: string): string => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const state = /State:\s+(\S+)/.exec(read(`/proc/${pid}/status`))?.[1] ?? '?';
  return `${state} ${read(`/proc/${pid}/wchan`)}`;
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function upSet(node: Spawned): Set<string> {
  const ids = new Set<string>();
  for (const l of node.logs()) {
    const msg = String(l['msg']);
    if (msg.startsWith('peer up')) ids.add(String(l['peer']));
    if (msg.startsWith('peer down')) ids.delete(String(l['peer']));
  }
  return ids;
}

/** Whether a log line starting with `prefix` appeared at index ≥ `from` (no copying: polled often). */
function downSince(node: Spawned, from: number, prefix: string): boolean {
  const logs = node.logs();
  for (let i = from; i < logs.length; i++) if (String(logs[i]?.['msg']).startsWith(prefix)) return true;
  return false;
}

function peersUp(node: Spawned): number {
  return upSet(node).size;
}

function downsLogged(node: Spawned, from: number): number {
  return node
    .logs()
    .slice(from)
    .filter((l) => String(l['msg']).startsWith('peer down')).length;
}

async function run(n: number, steadyS: number, settleS: number, staggerMs: number): Promise<Result> {
  const lab = new NetnsLab();
  const fleet = makeFleet(`bench${n}`);
  try {
    lab.addLan('a');
    for (let i = 1; i <= n; i++) lab.addHost(`b${i}`, [{ lan: 'a', address: `10.70.${i >> 8}.${i & 255 || 1}/16` }]);
    const nodes: Spawned[] = [];
    for (let k = 0; k < n; k++) {
      if (k > 0) await new Promise((r) => setTimeout(r, staggerMs));
      nodes.push(startNode(lab, `b${k + 1}`, fleet.file, path.join(fleet.dir, `b${k + 1}`), `b${k + 1}`));
    }
    const t0 = performance.now();
    await waitFor(`${n} nodes to converge`, () => nodes.every((x) => peersUp(x) === n - 1), 300_000, 100);
    const convergenceMs = Math.round(performance.now() - t0);
    process.stderr.write(`n=${n}: converged in ${convergenceMs} ms; settling ${settleS} s, measuring ${steadyS} s\n`);
    await new Promise((r) => setTimeout(r, settleS * 1000));
    const hosts = nodes.map((_, k) => `b${k + 1}`);
    const logMarks = nodes.map((x) => x.logs().length);
    const before = hosts.map((h) => counters(lab, h));
    const mdnsBefore = await Promise.all(nodes.map((x) => tableOf(x)));
    const tA = performance.now();
    const drops0 = backlogDropped();
    const fulls0 = neighbourTableFulls();
    const load0 = os.loadavg()[0] ?? 0;
    await new Promise((r) => setTimeout(r, steadyS * 1000));
    const loadAvg = `${load0.toFixed(1)}→${(os.loadavg()[0] ?? 0).toFixed(1)}`;
    const secs = (performance.now() - tA) / 1000;
    const after = hosts.map((h) => counters(lab, h));
    const mdnsAfter = await Promise.all(nodes.map((x) => tableOf(x)));
    const rss = nodes.map((x) => rssMB(x.child.pid as number));
    const sum = (f: (i: number) => number): number => hosts.reduce((a, _, i) => a + f(i), 0);
    // Every node's browser socket receives every mDNS packet on the LAN (its own looped back
    // too), so the mean received rate is the LAN's total mDNS rate; divided by N, the mean
    // sent per node (ciao's answers and our queries alike).
    const mcastRx =
      sum((i) => (mdnsAfter[i]?.packets.received ?? 0) - (mdnsBefore[i]?.packets.received ?? 0)) / n / secs;
    const mdnsSent = mcastRx / n;
    const txAll = sum((i) => (after[i]?.tx ?? 0) - (before[i]?.tx ?? 0)) / n / secs;
    const falseDowns = nodes.reduce((a, x, i) => a + downsLogged(x, logMarks[i] ?? 0), 0);
    if (debug && falseDowns > 0) {
      // When (s after the window opened) and why, per node that had any.
      const windowAt = Date.now() - secs * 1000;
      for (const [i, x] of nodes.entries()) {
        const downs = x
          .logs()
          .slice(logMarks[i] ?? 0)
          .filter((l) => String(l['msg']).startsWith('peer down'));
        if (downs.length > 0)
          process.stderr.write(
            `false downs at b${i + 1}: ${downs.map((l) => `+${((Number(l['time']) - windowAt) / 1000).toFixed(1)}s ${String(l['peer'])} ${String(l['reason'])}`).join(', ')}\n`,
          );
      }
    }
    const stillConverged = nodes.every((x) => peersUp(x) === n - 1);
    if (!stillConverged) process.stderr.write(`n=${n}: WARNING: some node lost a peer during the steady window\n`);
    const victim = nodes[0] as Spawned;
    const since = nodes.map((x) => x.logs().length);
    const tk = performance.now();
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const watchers = nodes.slice(1).filter((x) => upSet(x).has('b1'));
    // BENCH_DEBUG: where the kernel has each node that has not dropped b1 yet sleeping, once a
    // second from 2 s after the kill (pipe_write: blocked logging to us; ep_poll: idle).
    const wchans: string[] = [];
    const sampler = debug
      ? setInterval(() => {
          const t = Math.round(performance.now() - tk);
          if (t < 2000) return;
          for (const x of watchers) {
            if (downSince(x, since[nodes.indexOf(x)] ?? 0, 'peer down: nuc-b1 ')) continue;
            wchans.push(`+${t} b${nodes.indexOf(x) + 1}: ${sleepingIn(x.child.pid as number)}`);
          }
        }, 1000)
      : undefined;
    const results = await Promise.all(
      watchers.map((x) =>
        waitFor(
          'kill detection',
          () => downSince(x, since[nodes.indexOf(x)] ?? 0, 'peer down: nuc-b1 '),
          30_000,
          50,
        ).then(
          () => performance.now() - tk,
          () => NaN,
        ),
      ),
    );
    if (sampler) clearInterval(sampler);
    if (debug) {
      process.stderr.write(`not yet down after 2 s, where they sleep: ${wchans.join('; ') || 'none'}\n`);
      const gens = new Map<string, number>();
      for (const t of mdnsAfter) {
        const g = String(t.peers.find((p) => p.nodeId === 'b1')?.generation ?? 'none');
        gens.set(g, (gens.get(g) ?? 0) + 1);
      }
      process.stderr.write(`generations of b1 held before the kill: ${JSON.stringify(Object.fromEntries(gens))}\n`);
      // Per watcher: when it dropped b1, and what it logged since the kill (ms after it), all of
      // it for the late ones (> 5 s), the lines about b1 and notices for the rest.
      const shown = ['reason', 'generation', 'via', 'verdict', 'reporter', 'delivered', 'failed', 'attempts'];
      for (const [i, x] of watchers.entries()) {
        const from = since[nodes.indexOf(x)] ?? 0;
        const late = !((results[i] ?? NaN) <= 5000);
        const lines = x
          .logs()
          .slice(from)
          .filter((l) => late || /b1\b|nuc-b1 |suspect|heartbeats|notice/.test(JSON.stringify(l)));
        const fmt = (l: Record<string, unknown>): string =>
          `+${Math.round(Number(l['time']) - killedAt)} ${String(l['msg'])}${shown
            .filter((k) => l[k] !== undefined)
            .map((k) => ` ${k}=${String(l[k])}`)
            .join('')}`;
        process.stderr.write(
          `${late ? 'LATE ' : ''}b${nodes.indexOf(x) + 1} pid ${x.child.pid} ${Math.round(results[i] ?? NaN)} ms: ${lines.map(fmt).join(' | ')}\n`,
        );
      }
    }
    if (process.env['BENCH_DUMP'])
      for (const [i, x] of nodes.entries()) writeFileSync(`${process.env['BENCH_DUMP']}/b${i + 1}.err`, x.stderr());
    const backlogDrops = backlogDropped() - drops0;
    const tableFulls = neighbourTableFulls() - fulls0;
    const killTimes = results.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const killMissed = results.length - killTimes.length;
    return {
      nodes: n,
      convergenceMs,
      steadySeconds: Math.round(secs),
      mdnsSentPerNode: +mdnsSent.toFixed(3),
      mdnsReceivedPerNode: +mcastRx.toFixed(2),
      otherTxPerNode: +(txAll - mdnsSent).toFixed(2),
      heartbeatsPerNode: +(
        sum((i) => (mdnsAfter[i]?.probes.sent ?? 0) - (mdnsBefore[i]?.probes.sent ?? 0)) /
        n /
        secs
      ).toFixed(2),
      rssMeanMB: +(rss.reduce((a, b) => a + b, 0) / rss.length).toFixed(1),
      rssMaxMB: +Math.max(...rss).toFixed(1),
      killMaxMs: Math.round(killTimes[killTimes.length - 1] ?? NaN),
      killMedianMs: Math.round(killTimes[Math.floor(killTimes.length / 2)] ?? NaN),
      killMissed,
      falseDowns,
      loadAvg,
      backlogDrops,
      neighbourTableFulls: tableFulls,
    };
  } finally {
    await lab.cleanup();
  }
}

const debug = Boolean(process.env['BENCH_DEBUG']);
// The nodes run with the V8 flags the image gives nucmesh.service (image/overlay/etc/default/nucmesh).
process.env['NODE_OPTIONS'] ??= '--max-semi-space-size=2';
const args = process.argv.slice(2);
const opt = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : def;
};
const steady = opt('steady', 60);
const settle = opt('settle', 30);
const stagger = opt('stagger', 200);
const backlog = opt('backlog', 0);
const neighDefaults = args.includes('--neigh-defaults');
if (neighDefaults) args.splice(args.indexOf('--neigh-defaults'), 1);
const sizes = args.length > 0 ? args.map(Number) : [3, 10, 50];
const results: Result[] = [];
// --backlog N: raise net.core.netdev_max_backlog (global, not per namespace) for the run; and
// unless --neigh-defaults, size the neighbour tables (global too) for the largest lab: each
// host needs an entry per peer and one for the mDNS group, in each family. All put back after,
// the last raised first.
const backlogSysctl = '/proc/sys/net/core/netdev_max_backlog';
const restores = [
  ...(backlog > 0 ? [setForRun(backlogSysctl, backlog)] : []),
  ...(neighDefaults ? [] : fitNeighbourTables(Math.max(...sizes) ** 2)),
];
try {
  for (const n of sizes) {
    const r = await run(n, steady, settle, stagger);
    results.push(r);
    console.log(JSON.stringify({ ...r, netdevMaxBacklog: Number(readFileSync(backlogSysctl, 'utf8')) }));
  }
} finally {
  for (const restore of restores.reverse()) restore();
}
console.log(
  '\n| nodes | convergence | mDNS sent /s/node | mDNS received /s/node | other tx /s/node | heartbeats sent /s/node | RSS mean / max | kill seen by all (median / max) | false downs | load avg | backlog drops | neighbour table full |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.nodes} | ${(r.convergenceMs / 1000).toFixed(1)} s | ${r.mdnsSentPerNode} | ${r.mdnsReceivedPerNode} | ${r.otherTxPerNode} | ${r.heartbeatsPerNode} | ${r.rssMeanMB} / ${r.rssMaxMB} MB | ${(r.killMedianMs / 1000).toFixed(1)} / ${(r.killMaxMs / 1000).toFixed(1)} s${r.killMissed ? ` (${r.killMissed} missed)` : ''} | ${r.falseDowns} | ${r.loadAvg} | ${r.backlogDrops} | ${r.neighbourTableFulls} |`,
  );
}
