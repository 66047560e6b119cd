import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { signDownNotice } from '../../../src/discovery/down-notice.js';
import { createNoticeFanout } from '../../../src/discovery/notice-fanout.js';
import type { Peer } from '../../../src/discovery/peer-table.js';

const notice = signDownNotice(randomBytes(32), {
  subject: 'dead1',
  generation: 4,
  reporter: 'mon1',
  fleetId: '0123456789abcdef',
});

function peer(nodeId: string, port: number): Peer {
  return {
    nodeId,
    instance: nodeId,
    state: 'forming',
    clusterId: '',
    generation: 1,
    port,
    host: `${nodeId}.local`,
    addresses: [{ address: '127.0.0.1', iface: 'lo' }],
    fleetMatches: true,
    verified: true,
    lastSeen: 0,
    serviceKey: nodeId,
  };
}

/** A peer API on loopback that refuses (503) its first `failFirst` notices, then takes them. */
async function peerApi(
  failFirst: number,
): Promise<{ port: number; bodies: unknown[]; times: number[]; close(): Promise<void> }> {
  const bodies: unknown[] = [];
  const times: number[] = [];
  let seen = 0;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      times.push(performance.now());
      seen++;
      if (req.url !== '/v1/down-notice' || req.method !== 'POST') return void res.writeHead(404).end();
      bodies.push(JSON.parse(data));
      res
        .writeHead(seen <= failFirst ? 503 : 200, { 'content-type': 'application/json' })
        .end('{"verdict":"mark-down"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    bodies,
    times,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A loopback port with nothing listening (connection refused). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('a healthy peer gets the notice once, as JSON, at /v1/down-notice', async () => {
  const api = await peerApi(0);
  const fanout = createNoticeFanout({ timeoutMs: 1000, retryDelaysMs: [50, 50] });
  try {
    assert.deepEqual(await fanout.send([peer('a', api.port)], notice), { delivered: 1, failed: 0, attempts: 1 });
    assert.deepEqual(api.bodies, [notice]);
  } finally {
    fanout.close();
    await api.close();
  }
});

test('a peer that fails is retried after each pause in turn, and only it; one that never answers is counted failed', async () => {
  const flaky = await peerApi(2);
  const healthy = await peerApi(0);
  const gone = await closedPort();
  const fanout = createNoticeFanout({ timeoutMs: 1000, retryDelaysMs: [100, 200, 300] });
  try {
    const r = await fanout.send([peer('flaky', flaky.port), peer('healthy', healthy.port), peer('gone', gone)], notice);
    // healthy: 1 attempt; flaky: 3 (two 503s, then 200); gone: 4 (first try and 3 retries).
    assert.deepEqual(r, { delivered: 2, failed: 1, attempts: 8 });
    assert.equal(healthy.bodies.length, 1);
    assert.equal(flaky.bodies.length, 3);
    const [t0, t1, t2] = flaky.times as [number, number, number];
    assert.ok(t1 - t0 >= 95, `first retry after the first pause (${t1 - t0} ms)`);
    assert.ok(t2 - t1 >= 195, `second retry after the second, longer pause (${t2 - t1} ms)`);
  } finally {
    fanout.close();
    await flaky.close();
    await healthy.close();
  }
});

test('close() ends a send that is waiting to retry, without further attempts', async () => {
  const gone = await closedPort();
  const fanout = createNoticeFanout({ timeoutMs: 1000, retryDelaysMs: [60_000] });
  const sending = fanout.send([peer('gone', gone)], notice);
  await new Promise((r) => setTimeout(r, 100));
  const t = performance.now();
  fanout.close();
  assert.deepEqual(await sending, { delivered: 0, failed: 1, attempts: 1 });
  assert.ok(performance.now() - t < 1000, 'did not wait out the pause');
});
