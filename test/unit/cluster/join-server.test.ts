import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  isRefusal,
  joinerProof,
  newJoinRandom,
  openJoinAnswer,
  type JoinAnswer,
  type JoinChallengeAnswer,
  type JoinParties,
  type JoinRefusal,
} from '../../../src/node/join-wire.js';
import type { JoinServer } from '../../../src/cluster/join-server.js';
import { joinLedgerFile } from '../../../src/cluster/join-registrar.js';
import { joinServerFor, secretsOf, testFleet, type TestFleet } from '../../helpers/join.js';

const SRC = '10.0.0.9';

/** One whole exchange as joiner `nodeId` with `key`; the answer and the parties it was made for. */
async function exchange(server: JoinServer, fleet: TestFleet, nodeId: string, key = fleet.key) {
  const c = server.challenge({ fleetId: fleet.fleetId }, SRC) as JoinChallengeAnswer;
  const p: JoinParties = {
    fleetId: fleet.fleetId,
    challenge: c.challenge,
    nonce: newJoinRandom(),
    joinerNodeId: nodeId,
    serverNodeId: c.serverNodeId,
  };
  const body = { fleetId: fleet.fleetId, nodeId, challenge: c.challenge, nonce: p.nonce, proof: joinerProof(key, p) };
  return { answer: await server.join(body, SRC), p, body };
}

function opened(fleet: TestFleet, p: JoinParties, answer: JoinAnswer | JoinRefusal) {
  assert.ok(!isRefusal(answer), JSON.stringify(answer));
  const o = openJoinAnswer(fleet.key, p, answer);
  assert.ok(o.ok);
  return o.decision;
}

test('servers get the server token, agents the agent token, with the URL and cluster ID', async () => {
  const fleet = testFleet();
  const { server, tokens, ready } = await joinServerFor(fleet, { servers: 3, waitMs: 4000 });
  const b = await exchange(server, fleet, 'nuc-b');
  assert.deepEqual(opened(fleet, b.p, b.answer), {
    decision: 'join',
    role: 'server',
    serverUrl: 'https://127.0.0.1:6443',
    token: tokens.server,
    clusterId: 'lab-1',
  });
  const c = await exchange(server, fleet, 'nuc-c');
  assert.deepEqual(opened(fleet, c.p, c.answer), { decision: 'wait', retryAfterMs: 4000 });
  ready.add('nuc-b');
  const c2 = await exchange(server, fleet, 'nuc-c');
  assert.equal((opened(fleet, c2.p, c2.answer) as { role?: string }).role, 'server');
  const d = await exchange(server, fleet, 'nuc-d');
  assert.deepEqual(opened(fleet, d.p, d.answer), {
    decision: 'join',
    role: 'agent',
    serverUrl: 'https://127.0.0.1:6443',
    token: tokens.agent,
    clusterId: 'lab-1',
  });
  assert.equal(server.counters.server, 2);
  assert.equal(server.counters.agent, 1);
  assert.equal(server.counters.wait, 1);
  assert.equal(server.counters.challenge, 4);
});

test('a challenge is good for one request: a replay or a second use is refused', async () => {
  const fleet = testFleet();
  const { server } = await joinServerFor(fleet);
  const first = await exchange(server, fleet, 'nuc-b');
  assert.ok(!isRefusal(first.answer));
  assert.deepEqual(await server.join(first.body, SRC), { refusal: 'refused' }, 'the same request again');
  const fresh = { ...first.body, nonce: newJoinRandom() };
  assert.deepEqual(await server.join(fresh, SRC), { refusal: 'refused' }, 'the same challenge, a new nonce');
  assert.equal(server.counters.refused, 2);
});

test('a wrong proof spends the challenge: no second guess on it', async () => {
  const fleet = testFleet();
  const { server } = await joinServerFor(fleet);
  const bad = await exchange(server, fleet, 'nuc-b', randomBytes(32));
  assert.deepEqual(bad.answer, { refusal: 'refused' });
  const p = { ...bad.p };
  const right = { ...bad.body, proof: joinerProof(fleet.key, p) };
  assert.deepEqual(await server.join(right, SRC), { refusal: 'refused' });
});

test('a challenge expires on the server clock; unknown fleets get neither a challenge nor an answer', async () => {
  const fleet = testFleet();
  const { server, clock } = await joinServerFor(fleet, { challengeTtlMs: 30_000 });
  const c = server.challenge({ fleetId: fleet.fleetId }, SRC) as JoinChallengeAnswer;
  assert.equal(c.expiresInMs, 30_000);
  clock.t += 30_000;
  const p: JoinParties = {
    fleetId: fleet.fleetId,
    challenge: c.challenge,
    nonce: newJoinRandom(),
    joinerNodeId: 'nuc-b',
    serverNodeId: 'nuc-seed',
  };
  const body = { fleetId: fleet.fleetId, nodeId: 'nuc-b', challenge: c.challenge, nonce: p.nonce };
  assert.deepEqual(await server.join({ ...body, proof: joinerProof(fleet.key, p) }, SRC), { refusal: 'refused' });
  assert.deepEqual(server.challenge({ fleetId: 'ffffffffffffffff' }, SRC), { refusal: 'refused' });
  const other = await exchange(server, { ...fleet, fleetId: 'ffffffffffffffff' }, 'nuc-b');
  assert.deepEqual(other.answer, { refusal: 'refused' });
});

test('outstanding challenges are bounded: the oldest is dropped', async () => {
  const fleet = testFleet();
  const { server } = await joinServerFor(fleet, {
    maxChallenges: 4,
    requests: { ratePerSecond: 1, burst: 100, maxSources: 8 },
  });
  const first = server.challenge({ fleetId: fleet.fleetId }, SRC) as JoinChallengeAnswer;
  for (let i = 0; i < 4; i++) server.challenge({ fleetId: fleet.fleetId }, SRC);
  const p: JoinParties = {
    fleetId: fleet.fleetId,
    challenge: first.challenge,
    nonce: newJoinRandom(),
    joinerNodeId: 'nuc-b',
    serverNodeId: 'nuc-seed',
  };
  const body = { fleetId: fleet.fleetId, nodeId: 'nuc-b', challenge: first.challenge, nonce: p.nonce };
  assert.deepEqual(await server.join({ ...body, proof: joinerProof(fleet.key, p) }, SRC), { refusal: 'refused' });
});

test('failures are rate-limited per source: after the burst the source waits, others do not', async () => {
  const fleet = testFleet();
  const { server, clock } = await joinServerFor(fleet, { failures: { ratePerSecond: 0.2, burst: 3, maxSources: 8 } });
  for (let i = 0; i < 3; i++) {
    assert.equal(server.admit(SRC), undefined);
    server.garbage(SRC);
  }
  assert.deepEqual(server.admit(SRC), { refusal: 'rate-limited', retryAfterMs: 5000 });
  assert.equal(server.admit('10.0.0.10'), undefined);
  clock.t += 5000;
  assert.equal(server.admit(SRC), undefined);
  assert.equal(server.counters.garbage, 3);
  assert.equal(server.counters['rate-limited'], 1);
});

test('tokens not in the full K10 form, unreadable tokens or a bad server URL: unavailable, no secret logged', async () => {
  const fleet = testFleet();
  for (const over of [
    { tokens: async () => ({ server: 'bare-secret', agent: 'K10:::bare' }) },
    {
      tokens: async () => {
        throw Object.assign(new Error('cannot parse K10secret-in-message'), { code: 'E_K3S_TOKEN' });
      },
    },
    { serverUrl: () => 'http://127.0.0.1:6443' },
  ]) {
    const { server, lines } = await joinServerFor(fleet, over);
    const { answer } = await exchange(server, fleet, 'nuc-b');
    assert.deepEqual(answer, { refusal: 'unavailable' });
    assert.equal(server.counters.unavailable, 1);
    const logged = lines.join('\n');
    for (const s of ['bare-secret', 'K10:::bare', 'K10secret-in-message']) assert.equal(logged.includes(s), false, s);
  }
});

test('a registrar that fails (its ledger cannot be read or written) makes the server unavailable', async () => {
  const fleet = testFleet();
  const failing = { assign: () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) };
  const { server } = await joinServerFor(fleet, { registrar: failing });
  assert.deepEqual((await exchange(server, fleet, 'nuc-b')).answer, { refusal: 'unavailable' });
});

test('a server that is not the registrar answers "ask the registrar", sealed', async () => {
  const fleet = testFleet();
  const { server, dataDir } = await joinServerFor(fleet, { nodeId: 'nuc-b', registrarNodeId: 'nuc-seed' });
  const c = await exchange(server, fleet, 'nuc-c');
  assert.deepEqual(opened(fleet, c.p, c.answer), { decision: 'ask', registrarNodeId: 'nuc-seed' });
  assert.equal(server.counters.ask, 1);
  await assert.rejects(stat(joinLedgerFile(dataDir)), { code: 'ENOENT' }, 'no second ledger');
});

test('no log line holds the key or a token', async () => {
  const fleet = testFleet();
  const { server, tokens, lines } = await joinServerFor(fleet);
  await exchange(server, fleet, 'nuc-b');
  await exchange(server, fleet, 'nuc-c', randomBytes(32));
  assert.ok(lines.length > 0);
  for (const line of lines) for (const s of secretsOf(fleet, tokens)) assert.equal(line.includes(s), false, line);
});
