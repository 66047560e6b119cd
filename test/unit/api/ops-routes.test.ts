import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { x as untar } from 'tar';
import { ERROR_CODES } from '../../../src/errors.js';
import { asAdmin, asReader, leaked, opsApp, SECRETS } from '../../helpers/api-fixture.js';

type Level = 'none' | 'reader' | 'admin';
interface RouteCase {
  request: InjectOptions;
  level: Level;
}

const NOTICE = { subject: 'b1', generation: 2, reporter: 'b9', fleetId: '0123456789abcdef', mac: 'A'.repeat(43) };
const ROUTES: RouteCase[] = [
  { level: 'none', request: { method: 'GET', url: '/healthz' } },
  { level: 'none', request: { method: 'GET', url: '/readyz' } },
  { level: 'none', request: { method: 'GET', url: '/v1/health' } },
  { level: 'none', request: { method: 'POST', url: '/v1/heartbeat', payload: { nonce: 'abcdefghijklmnop0123' } } },
  { level: 'none', request: { method: 'POST', url: '/v1/down-notice', payload: NOTICE } },
  { level: 'none', request: { method: 'GET', url: '/' } },
  { level: 'none', request: { method: 'GET', url: '/openapi.json' } },
  { level: 'none', request: { method: 'GET', url: '/docs' } },
  { level: 'reader', request: { method: 'GET', url: '/v1/node' } },
  { level: 'reader', request: { method: 'GET', url: '/v1/hardware' } },
  { level: 'reader', request: { method: 'GET', url: '/v1/hardware?refresh=true' } },
  { level: 'reader', request: { method: 'GET', url: '/v1/peers' } },
  { level: 'reader', request: { method: 'GET', url: '/v1/bootstrap' } },
  { level: 'reader', request: { method: 'GET', url: '/v1/cluster' } },
  { level: 'reader', request: { method: 'GET', url: '/v1/logs?unit=nucmesh&lines=10' } },
  { level: 'reader', request: { method: 'GET', url: '/metrics' } },
  { level: 'admin', request: { method: 'GET', url: '/v1/support-bundle' } },
  { level: 'admin', request: { method: 'POST', url: '/v1/actions/reboot', payload: { confirm: 'reboot' } } },
  { level: 'admin', request: { method: 'POST', url: '/v1/actions/rejoin', payload: { confirm: 'rejoin' } } },
  { level: 'admin', request: { method: 'POST', url: '/v1/actions/leave', payload: { confirm: 'leave' } } },
];

const TOKENS = {
  none: {},
  wrong: { authorization: `Bearer ${'x'.repeat(30)}` },
  reader: asReader,
  admin: asAdmin,
} as const;

function assertErrorShape(body: string, status: number, what: string): void {
  const b = JSON.parse(body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(b).sort(), ['code', 'message', 'statusCode'], `${what}: ${body}`);
  assert.equal(b['statusCode'], status, what);
  assert.ok((ERROR_CODES as string[]).includes(String(b['code'])), what);
  assert.doesNotMatch(body, /\bat .*\.js:\d+/, `${what}: no stack trace`);
}

test('auth matrix: every route × (no token, wrong token, reader, admin)', async () => {
  const { app } = opsApp({}, {});
  let n = 0;
  for (const route of ROUTES) {
    const statuses: Record<string, number> = {};
    for (const [who, headers] of Object.entries(TOKENS)) {
      // A source address per request: the failed-attempt limit is tested on its own below.
      const r = await app.inject({ ...route.request, headers, remoteAddress: `10.1.${n >> 8}.${n++ & 255}` });
      statuses[who] = r.statusCode;
      const what = `${route.request.method} ${route.request.url} as ${who}`;
      assert.deepEqual(leaked(r.body), [], `${what}: leaks a secret`);
      if (r.statusCode >= 400 && r.headers['content-type']?.toString().includes('json'))
        assertErrorShape(r.body, r.statusCode, what);
    }
    const what = `${route.request.method} ${route.request.url}: ${JSON.stringify(statuses)}`;
    if (route.level === 'none') {
      assert.ok(![401, 403].includes(statuses['none'] ?? 0), what);
      assert.equal(new Set(Object.values(statuses)).size, 1, `${what}: a token changes nothing`);
    } else {
      assert.equal(statuses['none'], 401, what);
      assert.equal(statuses['wrong'], 401, what);
      assert.equal(statuses['reader'], route.level === 'reader' ? okStatus(route) : 403, what);
      assert.equal(statuses['admin'], okStatus(route), what);
    }
  }
});

function okStatus(route: RouteCase): number {
  if (route.request.url === '/v1/cluster') return 503; // no k3s in the fixture
  return String(route.request.url).startsWith('/v1/actions') ? 202 : 200;
}

test('every route answers what its schema lists, nothing more', async () => {
  const { app } = opsApp();
  const node = (await app.inject({ url: '/v1/node', headers: asReader })).json() as Record<string, unknown>;
  assert.equal(node['model'], 'NUC11TNHi5');
  assert.equal(node['state'], 'forming');
  assert.equal('fleetKey' in node, false, 'a field the schema does not list is dropped');
  const hw = (await app.inject({ url: '/v1/hardware', headers: asReader })).json() as Record<string, unknown>;
  assert.equal((hw['system'] as { serial: string }).serial, 'G6TN1234');
  assert.equal('token' in hw, false);
  const again = (await app.inject({ url: '/v1/hardware?refresh=true', headers: asReader })).json() as {
    warnings: string[];
  };
  assert.deepEqual(again.warnings, ['read again']);
  const peers = (await app.inject({ url: '/v1/peers', headers: asReader })).json() as {
    peers: Record<string, unknown>[];
    rejected: Record<string, number>;
  };
  assert.equal(peers.peers.length, 1);
  assert.equal('key' in (peers.peers[0] ?? {}), false);
  assert.deepEqual(peers.rejected, { badSignature: 2, otherFleet: 1 });
  const boot = (await app.inject({ url: '/v1/bootstrap', headers: asReader })).json() as {
    steps: { status: string }[];
  };
  assert.deepEqual(
    boot.steps.map((s) => s.status),
    ['done', 'failed'],
  );
  const cluster = await app.inject({ url: '/v1/cluster', headers: asReader });
  assert.equal(cluster.statusCode, 503);
  assert.match((cluster.json() as { message: string }).message, /k3s is not up/);
  const logs = (await app.inject({ url: '/v1/logs?lines=1', headers: asReader })).json() as {
    lines: unknown[];
    source: string;
  };
  assert.equal(logs.source, 'memory');
  assert.equal(logs.lines.length, 1);
  const ready = await app.inject({ url: '/readyz' });
  assert.deepEqual(ready.json(), { ready: true, state: 'forming' });
});

test('GET /v1/cluster answers the cluster view once there is one', async () => {
  const view = {
    clusterId: 'c1',
    nodes: [
      {
        name: 'nuc-1',
        roles: ['control-plane', 'etcd'],
        ready: true,
        kubeletVersion: 'v1.31.4+k3s1',
        addresses: ['10.0.0.5'],
        labels: { 'nucmesh.io/model': 'NUC11' },
      },
    ],
    etcdMembers: 1,
  };
  const { app } = opsApp({ cluster: view });
  const r = await app.inject({ url: '/v1/cluster', headers: asReader });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json(), view);
});

test('GET /readyz is 503 while booting', async () => {
  const { app } = opsApp({}, { state: () => ({ state: 'booting', step: 'inventory' }) });
  const r = await app.inject({ url: '/readyz' });
  assert.equal(r.statusCode, 503);
  assert.deepEqual(r.json(), { ready: false, state: 'booting', step: 'inventory' });
});

test('actions need the word in confirm, and run only after the answer', async () => {
  const actions: string[] = [];
  const { app } = opsApp({ actions });
  for (const payload of [{}, { confirm: 'yes' }, { confirm: 'rejoin' }]) {
    const r = await app.inject({ method: 'POST', url: '/v1/actions/reboot', headers: asAdmin, payload });
    assert.equal(r.statusCode, 400, JSON.stringify(payload));
  }
  const r = await app.inject({
    method: 'POST',
    url: '/v1/actions/reboot',
    headers: asAdmin,
    payload: { confirm: 'reboot' },
  });
  assert.equal(r.statusCode, 202);
  const j = await app.inject({
    method: 'POST',
    url: '/v1/actions/rejoin',
    headers: asAdmin,
    payload: { confirm: 'rejoin', clusterId: 'c2' },
  });
  assert.equal(j.statusCode, 202);
  await new Promise((res) => setTimeout(res, 10));
  assert.deepEqual(actions, ['reboot', 'rejoin c2']);
});

test('leave: 202 once under way; 409 saying why when refused; the word is required', async () => {
  const actions: string[] = [];
  const { app } = opsApp({ actions });
  const leave = (payload: unknown) =>
    app.inject({ method: 'POST', url: '/v1/actions/leave', headers: asAdmin, payload: payload as object });
  assert.equal((await leave({ confirm: 'yes' })).statusCode, 400);
  const ok = await leave({ confirm: 'leave' });
  assert.equal(ok.statusCode, 202);
  assert.deepEqual(actions, ['leave']);
  const refused = opsApp({ refuseLeave: 'this is the last server of the cluster' });
  const r = await refused.app.inject({
    method: 'POST',
    url: '/v1/actions/leave',
    headers: asAdmin,
    payload: { confirm: 'leave' },
  });
  assert.equal(r.statusCode, 409);
  assert.deepEqual(r.json(), {
    statusCode: 409,
    code: 'E_LEAVE_REFUSED',
    message: 'this is the last server of the cluster',
  });
});

test('without a fleet config no token is good (401 saying why)', async () => {
  const { app } = opsApp({ noTokens: true });
  const r = await app.inject({ url: '/v1/node', headers: asAdmin });
  assert.equal(r.statusCode, 401);
  assert.match((r.json() as { message: string }).message, /no fleet config/);
});

test('failed token attempts are limited per source address and counted', async () => {
  const { app, metrics } = opsApp();
  const from = (remoteAddress: string, headers: Record<string, string>) =>
    app.inject({ url: '/v1/node', headers, remoteAddress });
  for (let i = 0; i < 10; i++) assert.equal((await from('10.9.9.9', TOKENS.wrong)).statusCode, 401);
  const limited = await from('10.9.9.9', asReader);
  assert.equal(limited.statusCode, 429, 'even the right token, once over the limit');
  assert.equal((limited.json() as { code: string }).code, 'E_RATE_LIMITED');
  assert.equal((await from('10.9.9.10', asReader)).statusCode, 200, 'another address is not affected');
  const text = await metrics.text();
  assert.match(text, /nucmesh_api_auth_failures_total\{reason="wrong"\} 10/);
  assert.match(text, /nucmesh_api_auth_failures_total\{reason="rate-limited"\} 1/);
});

test('GET /metrics: Prometheus text with process metrics, state and API requests by route and status', async () => {
  const { app, metrics } = opsApp();
  metrics.setState('forming');
  metrics.bootStepSeconds.set({ step: 'inventory', status: 'done' }, 0.42);
  await app.inject({ url: '/v1/node', headers: asReader });
  const r = await app.inject({ url: '/metrics', headers: asReader });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /text\/plain/);
  for (const re of [
    /nucmesh_process_resident_memory_bytes \d+/,
    /nucmesh_node_state\{state="forming"\} 1/,
    /nucmesh_node_state\{state="booting"\} 0/,
    /nucmesh_boot_step_duration_seconds\{step="inventory",status="done"\} 0.42/,
    /nucmesh_api_requests_total\{route="\/v1\/node",method="GET",status="200"\} 1/,
  ])
    assert.match(r.body, re);
});

test('GET /openapi.json lists every route with its schemas; /docs is served from the package', async () => {
  const { app } = opsApp();
  const doc = (await app.inject({ url: '/openapi.json' })).json() as {
    openapi: string;
    paths: Record<string, unknown>;
  };
  assert.match(doc.openapi, /^3\./);
  for (const p of [
    '/v1/node',
    '/v1/hardware',
    '/v1/peers',
    '/v1/bootstrap',
    '/v1/cluster',
    '/v1/logs',
    '/metrics',
    '/v1/support-bundle',
    '/v1/actions/reboot',
    '/v1/actions/rejoin',
    '/v1/actions/leave',
    '/healthz',
    '/readyz',
    '/v1/heartbeat',
  ])
    assert.ok(doc.paths[p], `${p} in the OpenAPI document`);
  const ui = await app.inject({ url: '/docs' });
  assert.equal(ui.statusCode, 200);
  assert.doesNotMatch(ui.body, /https?:\/\/(?!localhost)[a-z0-9.-]+\.(com|net|org|io)\//i, 'no external URL');
  const js = await app.inject({ url: '/docs/static/swagger-ui-bundle.js' });
  assert.equal(js.statusCode, 200);
});

test('GET / is a self-contained page: no external scripts, styles or fonts', async () => {
  const { app } = opsApp();
  const r = await app.inject({ url: '/' });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /text\/html/);
  assert.doesNotMatch(r.body, /<(script|link)[^>]+(src|href)=/i);
  assert.doesNotMatch(r.body, /https?:\/\//);
  assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
});

test('support bundle: a .tar.gz with every expected file and no secret', async () => {
  const { app } = opsApp();
  const r = await app.inject({ url: '/v1/support-bundle', headers: asAdmin });
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['content-type'], 'application/gzip');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-bundle-test-'));
  try {
    const file = path.join(dir, 'b.tar.gz');
    writeFileSync(file, r.rawPayload);
    await untar({ file, cwd: dir });
    const [top] = readdirSync(dir).filter((n) => n.startsWith('nucmesh-'));
    assert.ok(top, 'one top directory');
    const root = path.join(dir, top);
    const files = (function walk(d: string): string[] {
      return readdirSync(d).flatMap((n) => {
        const p = path.join(d, n);
        return statSync(p).isDirectory() ? walk(p) : [path.relative(root, p)];
      });
    })(root).sort();
    assert.deepEqual(files, [
      'boot-steps.json',
      'capture/dmi-id/product_name',
      'dmesg.txt.error',
      'fleet.yaml',
      'inventory.json',
      'journal/nucmesh.txt',
      'k3s-config.yaml',
      'node.json',
      'peers.json',
    ]);
    for (const f of files)
      assert.deepEqual(leaked(readFileSync(path.join(root, f), 'utf8')), [], `${f} holds a secret`);
    assert.match(readFileSync(path.join(root, 'fleet.yaml'), 'utf8'), /key: "?\[redacted\]/);
    assert.match(readFileSync(path.join(root, 'dmesg.txt.error'), 'utf8'), /not permitted/);
    assert.deepEqual(leaked(r.rawPayload.toString('latin1')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: fuzzed query strings and bodies get 4xx in the one shape, never a 5xx', async () => {
  const { app } = opsApp();
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const junk = [
    '../../etc/passwd',
    '..%2f..%2fetc',
    '%00',
    'nucmesh.service;rm -rf /',
    "'",
    '-1',
    '1e9',
    'true',
    '{}',
    '\u0000',
    'ü'.repeat(300),
    'A'.repeat(5000),
  ];
  const keys = ['unit', 'since', 'lines', 'follow', 'refresh', 'x', '__proto__', 'constructor'];
  const urls = ['/v1/logs', '/v1/hardware', '/v1/node', '/metrics', '/v1/peers'];
  for (let i = 0; i < 300; i++) {
    const q = Array.from(
      { length: 1 + rnd(3) },
      () => `${keys[rnd(keys.length)]}=${encodeURIComponent(junk[rnd(junk.length)] ?? '')}`,
    ).join('&');
    const url = `${urls[rnd(urls.length)]}?${q}`;
    const r = await app.inject({ url, headers: asReader });
    assert.ok(r.statusCode < 500, `${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
    if (r.statusCode >= 400) assertErrorShape(r.body, r.statusCode, url);
  }
  const bodies: unknown[] = [
    null,
    [],
    'x',
    42,
    { confirm: 'reboot', extra: 1 },
    { confirm: { $ne: 1 } },
    { __proto__: { confirm: 'reboot' } },
  ];
  for (const b of bodies) {
    for (const url of ['/v1/actions/reboot', '/v1/actions/rejoin', '/v1/heartbeat', '/v1/down-notice']) {
      const r = await app.inject({
        method: 'POST',
        url,
        headers: { ...asAdmin, 'content-type': 'application/json' },
        payload: JSON.stringify(b),
      });
      assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${url} ${JSON.stringify(b)}: ${r.statusCode}`);
      assertErrorShape(r.body, r.statusCode, url);
    }
  }
});

test('the log unit is one of the listed names: path traversal and other units are 400', async () => {
  const { app } = opsApp();
  for (const unit of ['../../etc/shadow', 'sshd', 'nucmesh.service', '/var/log/syslog', 'k3s;id']) {
    const r = await app.inject({ url: `/v1/logs?unit=${encodeURIComponent(unit)}`, headers: asReader });
    assert.equal(r.statusCode, 400, unit);
  }
  for (const lines of ['0', '5001', '-3', 'abc']) {
    const r = await app.inject({ url: `/v1/logs?lines=${lines}`, headers: asReader });
    assert.equal(r.statusCode, 400, lines);
  }
  const ok = await app.inject({ url: '/v1/logs?unit=kernel&since=15m&lines=5000', headers: asReader });
  assert.equal(ok.statusCode, 200);
});

test('oversized bodies are 413 in the one shape', async () => {
  const { app } = opsApp();
  for (const url of ['/v1/actions/reboot', '/v1/heartbeat', '/v1/down-notice']) {
    const r = await app.inject({
      method: 'POST',
      url,
      headers: { ...asAdmin, 'content-type': 'application/json' },
      payload: `{"confirm":"${'a'.repeat(2000)}"}`,
    });
    assert.equal(r.statusCode, 413, url);
    assertErrorShape(r.body, 413, url);
  }
});

test('the fixture plants its secrets where routes could leak them', () => {
  assert.equal(
    leaked(JSON.stringify(opsApp().deps.ops?.node())).length,
    1,
    'the node view carries the fleet key unlisted',
  );
  assert.ok(SECRETS.k3sToken.startsWith('K10'));
});
