import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { buildApp, type PeerEndpoints } from '../../../src/api/app.js';
import { signDownNotice } from '../../../src/discovery/down-notice.js';
import { heartbeatProof, verifyHeartbeatProof } from '../../../src/node/fleet-crypto.js';
import type { DownNotice } from '../../../src/node/notice.js';
import { ERROR_CODES } from '../../../src/errors.js';

const key = randomBytes(32);
/** The app of a node whose discovery runs (null: not yet, as without a fleet config). */
const app = (downNotice: PeerEndpoints['downNotice'] | null = () => 'mark-down') =>
  buildApp({
    nodeId: () => 'n1',
    version: '9.9.9',
    state: () => ({ state: 'forming' }),
    stopping: () => false,
    peers: () => (downNotice ? { fleetKey: key, generation: () => 3, downNotice } : undefined),
  });

test('GET /v1/health answers without authentication and without secrets', async () => {
  const r = await app().inject({ method: 'GET', url: '/v1/health' });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json(), { status: 'ok', nodeId: 'n1', state: 'forming', version: '9.9.9' });
  assert.equal(r.body.includes(key.toString('base64')), false);
});

test('POST /v1/heartbeat proves the fleet key for the nonce, node ID and generation', async () => {
  const nonce = 'abcdefghijklmnop0123';
  const r = await app().inject({ method: 'POST', url: '/v1/heartbeat', payload: { nonce } });
  assert.equal(r.statusCode, 200);
  const body = r.json() as { nodeId: string; generation: number; proof: string };
  assert.equal(body.generation, 3);
  assert.equal(verifyHeartbeatProof(key, nonce, 'n1', 3, body.proof), true);
  assert.equal(verifyHeartbeatProof(key, 'another-nonce-0000', 'n1', 3, body.proof), false);
  assert.equal(verifyHeartbeatProof(key, nonce, 'n1', 2, body.proof), false);
  assert.notEqual(heartbeatProof(key, nonce, 'n1', 3), heartbeatProof(randomBytes(32), nonce, 'n1', 3));
});

test('a bad heartbeat request is a 400 that names the field', async () => {
  for (const payload of [{ nonce: 'short' }, {}, { nonce: 'abcdefghijklmnop0123', extra: 1 }]) {
    const r = await app().inject({ method: 'POST', url: '/v1/heartbeat', payload });
    assert.equal(r.statusCode, 400, JSON.stringify(payload));
    assert.match((r.json() as { message: string }).message, /nonce|additional/);
  }
});

test('POST /v1/down-notice hands a well-formed notice to discovery and answers its verdict', async () => {
  const notice = signDownNotice(key, { subject: 'b1', generation: 2, reporter: 'b9', fleetId: '0123456789abcdef' });
  const seen: DownNotice[] = [];
  const r = await app((n) => (seen.push(n), 'mark-down')).inject({
    method: 'POST',
    url: '/v1/down-notice',
    payload: notice,
  });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(r.json(), { verdict: 'mark-down' });
  assert.deepEqual(seen, [notice]);
});

test('POST /v1/down-notice: a notice that does not verify is a 403, before discovery runs a 503', async () => {
  const notice = signDownNotice(key, { subject: 'b1', generation: 2, reporter: 'b9', fleetId: '0123456789abcdef' });
  const bad = await app(() => 'bad-mac').inject({ method: 'POST', url: '/v1/down-notice', payload: notice });
  assert.equal(bad.statusCode, 403);
  assert.equal((bad.json() as { code: string }).code, 'E_BAD_NOTICE');
  const early = await app(null).inject({ method: 'POST', url: '/v1/down-notice', payload: notice });
  assert.equal(early.statusCode, 503);
});

test('without a fleet config: health says why, the peer routes answer 503 and prove nothing', async () => {
  const detail = 'no fleet config at /boot/efi/nucmesh/fleet.yaml. Copy the fleet.yaml ...';
  const blocked = buildApp({
    nodeId: () => 'n1',
    version: '9.9.9',
    state: () => ({ state: 'no-fleet-config', detail }),
    stopping: () => false,
    peers: () => undefined,
  });
  const health = await blocked.inject({ method: 'GET', url: '/v1/health' });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), { status: 'ok', nodeId: 'n1', state: 'no-fleet-config', detail, version: '9.9.9' });
  const hb = await blocked.inject({ method: 'POST', url: '/v1/heartbeat', payload: { nonce: 'abcdefghijklmnop0123' } });
  assert.equal(hb.statusCode, 503);
  assert.deepEqual(Object.keys(hb.json() as object).sort(), ['code', 'message', 'statusCode']);
  assert.equal((hb.json() as { code: string }).code, 'E_NOT_READY');
});

test('a malformed down notice is a 400 that names the field', async () => {
  const good = signDownNotice(key, { subject: 'b1', generation: 2, reporter: 'b9', fleetId: '0123456789abcdef' });
  for (const [field, payload] of [
    ['subject', { ...good, subject: 'B1!' }],
    ['generation', { ...good, generation: -1 }],
    ['mac', { ...good, mac: 'short' }],
    ['fleetId', { ...good, fleetId: 'xyz' }],
    ['reporter', { subject: good.subject, generation: good.generation, fleetId: good.fleetId, mac: good.mac }],
  ] as const) {
    const r = await app(() => 'mark-down').inject({ method: 'POST', url: '/v1/down-notice', payload });
    assert.equal(r.statusCode, 400, field);
    assert.match((r.json() as { message: string }).message, new RegExp(field), field);
  }
});

/** An error answer: exactly {statusCode, code, message}, the status repeated, a catalogue code, no stack. */
function assertErrorShape(r: { statusCode: number; body: string; json(): unknown }, code: string, what: string) {
  const body = r.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['code', 'message', 'statusCode'], `${what}: ${r.body}`);
  assert.equal(body['statusCode'], r.statusCode, what);
  assert.equal(body['code'], code, what);
  assert.ok((ERROR_CODES as string[]).includes(String(body['code'])), what);
  assert.equal(typeof body['message'], 'string', what);
  assert.doesNotMatch(r.body, /\bat .*\.js:\d+|stack/i, `${what}: no stack trace`);
}

interface ErrorCase {
  what: string;
  request: InjectOptions;
  status: number;
  code: string;
  /** The discovery behind the app: as in app() when absent, null when not running. */
  downNotice?: PeerEndpoints['downNotice'] | null;
}

test('every error answer has the one shape {statusCode, code, message} with a catalogue code', async () => {
  const notice = signDownNotice(key, { subject: 'b1', generation: 2, reporter: 'b9', fleetId: '0123456789abcdef' });
  const headers = { 'content-type': 'application/json' };
  const hb = { method: 'POST', url: '/v1/heartbeat' } as const;
  const dn = { method: 'POST', url: '/v1/down-notice', payload: notice } as const;
  const BAD = 'E_BAD_REQUEST';
  const cases: ErrorCase[] = [
    { what: 'validation', request: { ...hb, payload: { nonce: 'short' } }, status: 400, code: 'E_INVALID' },
    { what: 'bad JSON', request: { ...hb, headers, payload: '{"nonce":' }, status: 400, code: 'E_BAD_REQUEST' },
    {
      what: 'too large',
      request: { ...hb, headers, payload: `{"nonce":"${'a'.repeat(5000)}"}` },
      status: 413,
      code: BAD,
    },
    {
      what: 'content type',
      request: { ...hb, headers: { 'content-type': 'application/xml' }, payload: '<x/>' },
      status: 415,
      code: BAD,
    },
    { what: 'no route', request: { method: 'GET', url: '/v1/nothing?x=1' }, status: 404, code: 'E_NOT_FOUND' },
    { what: 'bad MAC', request: dn, status: 403, code: 'E_BAD_NOTICE', downNotice: () => 'bad-mac' },
    { what: 'other fleet', request: dn, status: 403, code: 'E_BAD_NOTICE', downNotice: () => 'other-fleet' },
    { what: 'not ready', request: dn, status: 503, code: 'E_NOT_READY', downNotice: null },
  ];
  for (const c of cases) {
    const r = await app(c.downNotice).inject(c.request);
    assert.equal(r.statusCode, c.status, `${c.what}: ${r.body}`);
    assertErrorShape(r, c.code, c.what);
  }
  const stopping = buildApp({
    nodeId: () => 'n1',
    version: '1',
    state: () => ({ state: 'forming' }),
    stopping: () => true,
    peers: () => undefined,
  });
  const r = await stopping.inject({ ...hb, payload: { nonce: 'abcdefghijklmnop0123' } });
  assert.equal(r.statusCode, 503);
  assertErrorShape(r, 'E_STOPPING', 'stopping');
});

test('a bug answers 500 E_INTERNAL without its message or stack, and is told to onInternalError', async () => {
  const seen: unknown[] = [];
  const broken = buildApp({
    nodeId: () => 'n1',
    version: '1',
    state: () => {
      throw new Error('secret internals at /work/src/x.ts:12');
    },
    stopping: () => false,
    peers: () => undefined,
    onInternalError: (e) => seen.push(e),
  });
  const r = await broken.inject({ method: 'GET', url: '/v1/health' });
  assert.equal(r.statusCode, 500);
  assertErrorShape(r, 'E_INTERNAL', 'bug');
  assert.equal((r.json() as { message: string }).message, 'internal error');
  assert.doesNotMatch(r.body, /secret/);
  assert.equal(seen.length, 1);
});

test("while the server closes, requests get 503 E_STOPPING in the one shape (not Fastify's own)", async () => {
  const a = app();
  let during: { status: number; body: string } | undefined;
  a.addHook('preClose', async () => {
    const res = await fetch(`http://127.0.0.1:${(a.server.address() as { port: number }).port}/v1/health`);
    during = { status: res.status, body: await res.text() };
  });
  await a.listen({ host: '127.0.0.1', port: 0 });
  await a.close();
  assert.ok(during);
  assert.equal(during.status, 503);
  assert.deepEqual(JSON.parse(during.body), { statusCode: 503, code: 'E_STOPPING', message: 'node is shutting down' });
});
