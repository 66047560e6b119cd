import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fleetMac } from '../../../src/node/fleet-crypto.js';
import {
  decisionOf,
  isFullK3sToken,
  isK3sServerUrl,
  joinerProof,
  newJoinRandom,
  openJoinAnswer,
  sealJoinAnswer,
  verifyJoinerProof,
  JOIN_RANDOM,
  type JoinDecision,
  type JoinParties,
} from '../../../src/node/join-wire.js';

const key = randomBytes(32);
const TOKEN = `K10${'a1'.repeat(32)}::server:${'f0'.repeat(16)}`;
const parties = (over: Partial<JoinParties> = {}): JoinParties => ({
  fleetId: '0123456789abcdef',
  challenge: newJoinRandom(),
  nonce: newJoinRandom(),
  joinerNodeId: 'nuc-b',
  serverNodeId: 'nuc-a',
  ...over,
});
const grant: JoinDecision = {
  decision: 'join',
  role: 'server',
  serverUrl: 'https://10.0.0.2:6443',
  token: TOKEN,
  clusterId: 'lab-1',
};

test('a joiner proof verifies for its exchange only: other key, challenge, nonce or node IDs fail', () => {
  const p = parties();
  const proof = joinerProof(key, p);
  assert.equal(verifyJoinerProof(key, p, proof), true);
  assert.equal(verifyJoinerProof(randomBytes(32), p, proof), false);
  for (const field of ['challenge', 'nonce'] as const) {
    assert.equal(verifyJoinerProof(key, { ...p, [field]: newJoinRandom() }, proof), false, field);
  }
  assert.equal(verifyJoinerProof(key, { ...p, joinerNodeId: 'nuc-c' }, proof), false);
  assert.equal(verifyJoinerProof(key, { ...p, serverNodeId: 'nuc-c' }, proof), false);
  assert.equal(verifyJoinerProof(key, { ...p, fleetId: 'fedcba9876543210' }, proof), false);
  assert.match(newJoinRandom(), JOIN_RANDOM);
  assert.notEqual(newJoinRandom(), newJoinRandom());
});

test('a sealed answer opens for its joiner to the decision, and hides the token', () => {
  const p = parties();
  const answer = sealJoinAnswer(key, p, grant);
  assert.deepEqual(openJoinAnswer(key, p, answer), { ok: true, decision: grant });
  const wire = JSON.stringify(answer);
  assert.equal(wire.includes(TOKEN), false);
  assert.equal(wire.includes('f0f0f0'), false);
  assert.equal(wire.includes(key.toString('base64url')), false);
  for (const d of [
    { decision: 'wait', retryAfterMs: 5000 },
    { decision: 'ask', registrarNodeId: 'nuc-a' },
  ] as const) {
    assert.deepEqual(openJoinAnswer(key, p, sealJoinAnswer(key, p, d)), { ok: true, decision: d });
  }
});

test('an answer without the fleet key, or for another exchange, is a bad server proof (checked first)', () => {
  const p = parties();
  const rogue = sealJoinAnswer(randomBytes(32), p, grant);
  assert.deepEqual(openJoinAnswer(key, p, rogue), { ok: false, why: 'bad-server-proof' });
  const answer = sealJoinAnswer(key, p, grant);
  assert.deepEqual(openJoinAnswer(key, { ...p, nonce: newJoinRandom() }, answer), {
    ok: false,
    why: 'bad-server-proof',
  });
  assert.deepEqual(openJoinAnswer(key, { ...p, joinerNodeId: 'nuc-c' }, answer), {
    ok: false,
    why: 'bad-server-proof',
  });
  const flipped = Buffer.from(answer.sealed, 'base64url');
  flipped[0] = (flipped[0] as number) ^ 1;
  const tampered = { ...answer, sealed: flipped.toString('base64url') };
  assert.deepEqual(openJoinAnswer(key, p, tampered), { ok: false, why: 'bad-server-proof' });
});

test("a joiner's proof reflected back as the server's proof is refused (domain tags differ)", () => {
  const p = parties();
  const answer = sealJoinAnswer(key, p, grant);
  const reflected = { ...answer, proof: joinerProof(key, p) };
  assert.deepEqual(openJoinAnswer(key, p, reflected), { ok: false, why: 'bad-server-proof' });
});

test('GCM authenticates too: a valid proof over bytes that do not decrypt is garbled, not accepted', () => {
  const p = parties();
  const answer = sealJoinAnswer(key, p, grant);
  const body = Buffer.from(answer.sealed, 'base64url');
  body[body.length - 1] = (body[body.length - 1] as number) ^ 1;
  const sealed = body.toString('base64url');
  const parts = [p.fleetId, p.challenge, p.nonce, p.joinerNodeId, p.serverNodeId, answer.iv, sealed];
  const proof = fleetMac(key, 'joinAnswer', parts);
  assert.deepEqual(openJoinAnswer(key, p, { iv: answer.iv, sealed, proof }), { ok: false, why: 'garbled' });
});

test('full k3s tokens only: K10, a 64-hex CA hash, ::, user and password', () => {
  assert.equal(isFullK3sToken(TOKEN), true);
  assert.equal(isFullK3sToken(`K10${'0'.repeat(64)}::node:secret`), true);
  for (const bad of [
    'secret',
    'K10:::secret',
    `K10${'a'.repeat(63)}::server:pw`,
    `K10${'A'.repeat(64)}::server:pw`,
    `K10${'a'.repeat(64)}::server:`,
    `K10${'a'.repeat(64)}::server:p w`,
    `K10${'a'.repeat(64)}:server:pw`,
    `K10${'a'.repeat(64)}::server:pw\n`,
    `K10${'a'.repeat(64)}::server:${'x'.repeat(600)}`,
  ]) {
    assert.equal(isFullK3sToken(bad), false, bad);
  }
});

test('server URLs: https, an IP address (IPv6 in brackets) and a port', () => {
  for (const ok of ['https://10.0.0.2:6443', 'https://[fd00::2]:6443', 'https://192.168.1.10:1']) {
    assert.equal(isK3sServerUrl(ok), true, ok);
  }
  for (const bad of [
    'http://10.0.0.2:6443',
    'https://10.0.0.2',
    'https://nuc-a.local:6443',
    'https://10.0.0.256:6443',
    'https://10.0.0.2:65536',
    'https://10.0.0.2:0',
    'https://fd00::2:6443',
    'https://10.0.0.2:6443/path',
    'https://[10.0.0.2]:6443',
  ]) {
    assert.equal(isK3sServerUrl(bad), false, bad);
  }
});

test('decisions are read strictly: extra or missing fields and bad values are not a decision', () => {
  assert.deepEqual(decisionOf(JSON.stringify(grant)), grant);
  for (const bad of [
    'not json',
    'null',
    '[]',
    JSON.stringify({ ...grant, extra: 1 }),
    JSON.stringify({ ...grant, role: 'seed' }),
    JSON.stringify({ ...grant, token: 'K10:::bare' }),
    JSON.stringify({ ...grant, serverUrl: 'http://10.0.0.2:6443' }),
    JSON.stringify({ ...grant, clusterId: '' }),
    JSON.stringify({ decision: 'wait', retryAfterMs: -1 }),
    JSON.stringify({ decision: 'wait' }),
    JSON.stringify({ decision: 'ask', registrarNodeId: 'Not A Node' }),
    JSON.stringify({ decision: 'other' }),
  ]) {
    assert.equal(decisionOf(bad), undefined, bad);
  }
});
