import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import { makeNodeCertificate } from '../../../src/api/node-cert.js';
import { createPinnedAgent } from '../../../src/node/cert-pin.js';
import { asReader, leaked, opsApp } from '../../helpers/api-fixture.js';
import { pinnedRequest, testCertificate } from '../../helpers/tls.js';

async function serve(host = '127.0.0.1', timeouts = {}): Promise<ApiServer> {
  return startApiServer(opsApp().app, { host, port: 0, tls: await testCertificate(), timeouts });
}

test('HTTPS with the right pin: answered, over one keep-alive connection', async () => {
  const s = await serve();
  const { fingerprint } = await testCertificate();
  const agent = createPinnedAgent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  agent.on('free', (socket) => sockets.add(socket));
  try {
    for (let i = 0; i < 3; i++) {
      const r = await pinnedRequest(s.port, fingerprint, { path: '/v1/node', headers: asReader, agent });
      assert.equal(r.status, 200);
      assert.equal((JSON.parse(r.body) as { model: string }).model, 'NUC11TNHi5');
      assert.deepEqual(leaked(r.body), []);
    }
    assert.equal(sockets.size, 1, 'keep-alive: one connection for three requests');
  } finally {
    agent.destroy();
    await s.close();
  }
});

test('HTTPS with a wrong pin: refused before any request is sent', async () => {
  const s = await serve();
  const other = await makeNodeCertificate({ hostname: 'impostor' });
  let requests = 0;
  try {
    await assert.rejects(
      pinnedRequest(s.port, other.fingerprint, { path: '/v1/node', headers: asReader }),
      (e: NodeJS.ErrnoException) => e.code === 'ERR_CERT_PIN',
    );
    // Another server with another certificate on the same port number is not the pinned one either.
    const impostor = await startApiServer(opsApp({}, { onInternalError: () => requests++ }).app, {
      host: '127.0.0.1',
      port: 0,
      tls: other,
    });
    await assert.rejects(pinnedRequest(impostor.port, (await testCertificate()).fingerprint, { path: '/healthz' }));
    await impostor.close();
  } finally {
    await s.close();
  }
});

test('plain HTTP: answered from 127.0.0.1 (local tools), refused from any other address', async () => {
  const s = await serve('0.0.0.0');
  try {
    const local = await fetch(`http://127.0.0.1:${s.port}/v1/health`);
    assert.equal(local.status, 200);
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!lan) return;
    const r = await fetch(`http://${lan.address}:${s.port}/v1/health`);
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { code: string }).code, 'E_TLS_REQUIRED');
  } finally {
    await s.close();
  }
});

/** A client that sends `text` one byte every `everyMs`; resolves with what it got and how it ended. */
function trickle(port: number, text: string, everyMs: number): Promise<{ answer: string; closedAfterBytes: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < text.length && socket.writable) socket.write(text[sent++] ?? '');
    }, everyMs);
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, closedAfterBytes: sent });
    });
  });
}

test('a slow client (one byte at a time) is cut off by the header timeout, never a 5xx', async () => {
  const s = await serve('127.0.0.1', { headers: 1000, request: 2000, firstByte: 1000 });
  try {
    const request = 'GET /v1/node HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abcdefghijklmnopqrstuvwxyz\r\n\r\n';
    const started = Date.now();
    const slow = await trickle(s.port, request, 100);
    assert.ok(slow.closedAfterBytes < request.length, `cut off after ${slow.closedAfterBytes} bytes`);
    assert.ok(Date.now() - started < 5000);
    assert.doesNotMatch(slow.answer, /^HTTP\/1\.1 5/);
    // A client that connects and says nothing is closed too.
    const silent = await trickle(s.port, '', 100);
    assert.equal(silent.answer, '');
  } finally {
    await s.close();
  }
});

test('close: a request under way finishes, then new connections are refused', async () => {
  const { app, deps } = opsApp();
  let arrived!: () => void;
  const inHandler = new Promise<void>((r) => (arrived = r));
  const ops = deps.ops;
  assert.ok(ops);
  ops.bootSteps = async () => {
    arrived();
    await new Promise((r) => setTimeout(r, 300));
    return [];
  };
  const s = await startApiServer(app, { host: '127.0.0.1', port: 0, tls: await testCertificate() });
  const { fingerprint } = await testCertificate();
  const during = pinnedRequest(s.port, fingerprint, { path: '/v1/bootstrap', headers: asReader });
  await inHandler;
  await s.close();
  assert.equal((await during).status, 200);
  await assert.rejects(fetch(`http://127.0.0.1:${s.port}/healthz`));
});
