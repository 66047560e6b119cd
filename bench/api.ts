/**
 * API benchmark: requests/s and p50/p99 latency of GET /v1/node and GET /metrics on a running
 * agent, under load from this process (autocannon, HTTPS keep-alive), side by side with a bare
 * Fastify route answering a constant on the same TLS listener (server.ts) in a process of its
 * own; and the agent's RSS during the run (sampled from /proc every 200 ms).
 *
 *   npm run bench:api -- [--seconds S] [--connections C] [--node-options "FLAGS"]
 *
 * Defaults: 10 s, 10 connections, and both servers run with the V8 flags the image gives the
 * agent (NODE_OPTIONS in image/overlay/etc/default/nucmesh), so the figures are what ships.
 * `GET /metrics` is measured twice: as curl asks (plain text) and as Prometheus asks
 * (`Accept-Encoding: gzip`).
 *
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
  options: { seconds: { type: 'string' }, connections: { type: 'string' }, 'node-options': { type: 'string' } },
});
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
const bare = await start('bare', dir);
const agent = await start('agent', dir);
let maxRss = 0;
const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssKb(agent.child.pid as number))), 200);
const idleRss = rssKb(agent.child.pid as number);
const rows: Record<string, string | number>[] = [];
try {
  // Warm up each (JIT, TLS session caches), then measure.
  const reader = { authorization: `Bearer ${config.api.tokens.reader}` };
  for (const [name, port, p, headers] of [
    ['bare constant', bare.port, '/const', {}],
    ['GET /v1/node', agent.port, '/v1/node', reader],
    ['GET /metrics', agent.port, '/metrics', reader],
    ['GET /metrics (gzip)', agent.port, '/metrics', { ...reader, 'accept-encoding': 'gzip' }],
  ] as const) {
    await load(port, p, headers, 2);
    const r = await load(port, p, headers);
    rows.push({
      route: name,
      'req/s': Math.round(r.requests.average),
      'p50 ms': r.latency.p50,
      'p99 ms': r.latency.p99,
      errors: r.errors + r.timeouts,
      'non-2xx': r.non2xx,
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
  `${connections} connections, ${seconds} s per route, node ${process.version} ${nodeOptions.join(' ')}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
