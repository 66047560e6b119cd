import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildApp, type PeerEndpoints } from '../../../src/api/app.js';
import { signDownNotice } from '../../../src/discovery/down-notice.js';
import { heartbeatProof, verifyHeartbeatProof } from '../../../src/node/fleet-crypto.js';
import type { DownNotice } from '../../../src/node/notice.js';

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
  const r = await app((n) => (seen.push(n), 'mark-down')).inject({ method: 'POST', url: '/v1/down-notice', payload: notice });
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
  const blocked = buildApp({ nodeId: () => 'n1', version: '9.9.9', state: () => ({ state: 'no-fleet-config', detail }), stopping: () => false, peers: () => undefined });
  const health = await blocked.inject({ method: 'GET', url: '/v1/health' });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), { status: 'ok', nodeId: 'n1', state: 'no-fleet-config', detail, version: '9.9.9' });
  const hb = await blocked.inject({ method: 'POST', url: '/v1/heartbeat', payload: { nonce: 'abcdefghijklmnop0123' } });
  assert.equal(hb.statusCode, 503);
  assert.deepEqual(Object.keys(hb.json() as object).sort(), ['code', 'message']);
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
