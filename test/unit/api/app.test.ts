import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../../src/api/app.js';
import { heartbeatProof, verifyHeartbeatProof } from '../../../src/api/heartbeat-proof.js';

const key = randomBytes(32);
const app = () => buildApp({ nodeId: 'n1', version: '9.9.9', fleetKey: key, state: () => 'forming', generation: () => 3, stopping: () => false });

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
