/**
 * API benchmark: requests/s and p50/p99 latency of GET /v1/node and GET /metrics on a running
 * agent, under load from this process (autocannon, HTTPS keep-alive), side by side with a bare
 * Fastify route answering a constant on the same TLS listener (server.ts) in a process of its
 * own; and the agent's RSS during the run (sampled from /proc every 200 ms).
 *
 *   npm run bench:api -- [--seconds S] [--connections C] [--rounds R] [--node-options "FLAGS"]
 *
 * Defaults: 10 s per route in 3 rounds (the routes take turns, S/R seconds each, so a change of
 * the machine's load during the run falls on all of them), 10 connections, and both servers run
 * with the V8 flags the image gives the agent (NODE_OPTIONS in image/overlay/etc/default/nucmesh),
 * so the figures are what ships.
 * `GET /metrics` is measured twice: as curl asks (plain text) and as Prometheus asks
 * (`Accept-Encoding: gzip`).
 *
 * Besides req/s and latency (p50: the median of the rounds, p99: the worst round) the server's
 * CPU time per request is shown (from /proc/PID/stat): it moves less with other load.
 * Goals (issue 12): ≥ 80 % of the bare route's throughput, p99 ≤ 5 ms, RSS under 70 MB.
 * The load average is printed: other work on the machine skews the figures.
 * Not part of the test suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { newFleetConfig, renderFleetConfig } from '../src/config/fleet.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    'node-options': { type: 'string' },
  },
});
const rounds = Number(values.rounds ?? 3);
const seconds = Number(values.seconds ?? 10);
const connections = Number(values.connections ?? 10);
const here = path.dirname(fileURLToPath(import.meta.url));

/** NODE_OPTIONS of the image's /etc/default/nucmesh (the agent's environment file). */
function imageNodeOptions(): string {
  const file = path.join(here, '../../image/overlay/etc/default/nucmesh');
  return /^NODE_OPTIONS=(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim() ?? '';
}
const nodeOptions = (values['node-options'] ?? imageNodeOptions()).split(/\s+/).filter(Boolean);

function start(kind: 'agent' | 'bare', dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...nodeOptions, path.join(here, 'api-server.js'), kind, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

/** CPU time (user + system) a process used so far, in µs (clock ticks of 10 ms). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function load(port: number, urlPath: string, headers: Record<string, string>, duration = seconds) {
  return autocannon({
    url: `https://127.0.0.1:${port}${urlPath}`,
    connections,
    duration,
    headers,
    // The node certificate is self-signed; what is measured here is the server, not the pin check.
    tlsOptions: { rejectUnauthorized: false },
  } as autocannon.Options);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-bench-api-'));
const config = newFleetConfig('bench');
writeFileSync(path.join(dir, 'fleet.yaml'), renderFleetConfig(config), { mode: 0o600 });
const loadBefore = os.loadavg()[0] ?? 0;
const bare = await start('bare', dir);
const agent = await start('agent', dir);
let maxRss = 0;
const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssKb(agent.child.pid as number))), 200);
const idleRss = rssKb(agent.child.pid as number);
const rows: Record<string, string | number>[] = [];
try {
  const reader = { authorization: `Bearer ${config.api.tokens.reader}` };
  const routes = [
    { name: 'bare constant', server: bare, path: '/const', headers: {} },
    { name: 'GET /v1/node', server: agent, path: '/v1/node', headers: reader },
    { name: 'GET /metrics', server: agent, path: '/metrics', headers: reader },
    { name: 'GET /metrics (gzip)', server: agent, path: '/metrics', headers: { ...reader, 'accept-encoding': 'gzip' } },
  ];
  // Warm up each (JIT, TLS session caches), then measure in rounds.
  for (const r of routes) await load(r.server.port, r.path, r.headers, 2);
  const sums = routes.map(() => ({
    requests: 0,
    seconds: 0,
    cpu: 0,
    p50: [] as number[],
    p99: 0,
    errors: 0,
    non2xx: 0,
  }));
  for (let round = 0; round < rounds; round++)
    for (const [i, r] of routes.entries()) {
      const pid = r.server.child.pid as number;
      const cpu0 = cpuUs(pid);
      const t0 = performance.now();
      const res = await load(r.server.port, r.path, r.headers, seconds / rounds);
      const sum = sums[i] as (typeof sums)[number];
      sum.seconds += (performance.now() - t0) / 1000;
      sum.cpu += cpuUs(pid) - cpu0;
      sum.requests += res.requests.total;
      sum.p50.push(res.latency.p50);
      sum.p99 = Math.max(sum.p99, res.latency.p99);
      sum.errors += res.errors + res.timeouts;
      sum.non2xx += res.non2xx;
    }
  for (const [i, r] of routes.entries()) {
    const sum = sums[i] as (typeof sums)[number];
    rows.push({
      route: r.name,
      'req/s': Math.round(sum.requests / sum.seconds),
      'p50 ms': sum.p50.sort((a, b) => a - b)[Math.floor(sum.p50.length / 2)] ?? 0,
      'p99 ms': sum.p99,
      'server µs/req': Math.round(sum.cpu / sum.requests),
      errors: sum.errors,
      'non-2xx': sum.non2xx,
    });
  }
} finally {
  clearInterval(rssTimer);
  bare.child.kill();
  agent.child.kill();
  rmSync(dir, { recursive: true, force: true });
}
const base = Number(rows[0]?.['req/s'] ?? 1);
for (const r of rows) r['vs bare'] = `${Math.round((Number(r['req/s']) / base) * 100)} %`;
console.table(rows);
console.log(`agent RSS: ${Math.round(idleRss / 1024)} MB idle, ${Math.round(maxRss / 1024)} MB at most during the run`);
console.log(
  `${connections} connections, ${seconds} s per route in ${rounds} rounds, node ${process.version} ${nodeOptions.join(' ')}, load average ${loadBefore.toFixed(1)} before, ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} after`,
);
