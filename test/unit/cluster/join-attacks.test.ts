/**
 * The join exchange over real HTTP on loopback (the API app listening on 127.0.0.1:0) and its
 * attacks: wrong key, replayed proof, reused challenge, unknown fleet, garbage bodies, a rogue
 * "server" without the key. Every answer and log line of the test is searched for the fleet key
 * (base64, base64url, hex) and the tokens.
 */
import { makeNodeCertificate } from '../../../src/api/node-cert.js';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { buildApp } from '../../../src/api/app.js';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import { requestJoin, JoinError, type JsonPost, type JoinPeer } from '../../../src/cluster/join-client.js';
import type { JoinServerOptions } from '../../../src/cluster/join-server.js';
import { plainHttpPost } from '../../../src/cluster/json-post.js';
import {
  joinerProof,
  newJoinRandom,
  sealJoinAnswer,
  type JoinDecision,
  type JoinParties,
} from '../../../src/node/join-wire.js';
import { fakeTokens, joinServerFor, secretsOf, testFleet, type TestFleet } from '../../helpers/join.js';

/** Everything any peer answered in this file, raw, for the secret grep at the end. */
const seen: string[] = [];

/** A JsonPost that keeps the raw answer (status, headers, body text). */
const recordingPost: JsonPost = async (url, body, { signal }) => {
  const r = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    ...(signal ? { signal } : {}),
  });
  const text = await r.text();
  seen.push(`${r.status} ${JSON.stringify([...r.headers])} ${text}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: r.status, body: parsed };
};

async function raw(url: string, body: string, contentType = 'application/json') {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });
  const text = await r.text();
  seen.push(`${r.status} ${JSON.stringify([...r.headers])} ${text}`);
  return { status: r.status, json: JSON.parse(text) as Record<string, unknown>, headers: r.headers };
}

const fleets: TestFleet[] = [];
const tokenSets: ReturnType<typeof fakeTokens>[] = [];
const logLines: string[][] = [];
const servers: ApiServer[] = [];

/** A seed of `fleet` serving joins on loopback. */
async function listen(fleet: TestFleet, over: Partial<JoinServerOptions> = {}, serving = true) {
  const j = await joinServerFor(fleet, over);
  fleets.push(fleet);
  tokenSets.push(j.tokens);
  logLines.push(j.lines);
  const app = buildApp({
    version: '0.0.0',
    nodeId: () => 'nuc-seed',
    state: () => ({ state: 'server' }),
    stopping: () => false,
    peers: () => undefined,
    join: () => (serving ? j.server : undefined),
  });
  const api = await startApiServer(app, {
    host: '127.0.0.1',
    port: 0,
    tls: await makeNodeCertificate({ hostname: 'nuc-seed' }),
  });
  servers.push(api);
  const peer: JoinPeer = { nodeId: 'nuc-seed', address: '127.0.0.1', apiPort: api.port };
  const url = (p: string) => `http://127.0.0.1:${api.port}${p}`;
  return { ...j, peer, url };
}

const join = (fleet: TestFleet, peer: JoinPeer, nodeId: string, key = fleet.key, post = recordingPost) =>
  requestJoin({ fleetKey: key, fleetId: fleet.fleetId, nodeId, peer, post });

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<JoinError> {
  let caught: unknown;
  await p.catch((e: unknown) => (caught = e));
  assert.ok(caught instanceof JoinError, `expected a JoinError, got ${String(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  seen.push(caught.message, JSON.stringify(caught));
  return caught;
}

const REFUSED = { statusCode: 403, code: 'E_JOIN_REFUSED', message: 'join refused' };

test('an honest joiner gets its role and token over HTTP; servers the server token, agents the agent token', async () => {
  const fleet = testFleet();
  const { peer, tokens } = await listen(fleet, { servers: 2 });
  assert.deepEqual(await join(fleet, peer, 'nuc-b'), {
    role: 'server',
    serverUrl: 'https://127.0.0.1:6443',
    token: tokens.server,
    clusterId: 'lab-1',
  });
  const agent = await join(fleet, peer, 'nuc-c', fleet.key, plainHttpPost());
  assert.equal(agent.role, 'agent');
  assert.equal(agent.token, tokens.agent);
  const again = await join(fleet, peer, 'nuc-b');
  assert.deepEqual([again.role, again.token], ['server', tokens.server], 'asking again gives the same role');
});

test('wrong key: refused with the one generic answer', async () => {
  const fleet = testFleet();
  const { peer, server } = await listen(fleet);
  await rejectsWith(join(fleet, peer, 'nuc-b', randomBytes(32)), 'refused');
  assert.equal(server.counters.refused, 1);
  assert.ok(seen.some((s) => s.startsWith('403') && s.endsWith(JSON.stringify(REFUSED))));
});

test('replayed proof and reused challenge: refused', async () => {
  const fleet = testFleet();
  const { peer, url, server } = await listen(fleet);
  const requests: object[] = [];
  const spying: JsonPost = (u, body, o) => {
    if (u.endsWith('/v1/join')) requests.push(body);
    return recordingPost(u, body, o);
  };
  await join(fleet, peer, 'nuc-b', fleet.key, spying);
  const replay = await raw(url('/v1/join'), JSON.stringify(requests[0]));
  assert.deepEqual([replay.status, replay.json], [403, REFUSED]);

  const c = await raw(url('/v1/join/challenge'), JSON.stringify({ fleetId: fleet.fleetId }));
  const challenge = c.json['challenge'] as string;
  const attempt = async () => {
    const p: JoinParties = {
      fleetId: fleet.fleetId,
      challenge,
      nonce: newJoinRandom(),
      joinerNodeId: 'nuc-c',
      serverNodeId: 'nuc-seed',
    };
    const body = {
      fleetId: fleet.fleetId,
      nodeId: 'nuc-c',
      challenge,
      nonce: p.nonce,
      proof: joinerProof(fleet.key, p),
    };
    return raw(url('/v1/join'), JSON.stringify(body));
  };
  assert.equal((await attempt()).status, 200);
  const again = await attempt();
  assert.deepEqual([again.status, again.json], [403, REFUSED], 'a valid proof over a spent challenge');
  assert.equal(server.counters.refused, 2);
});

test('unknown fleet: refused at the challenge already', async () => {
  const fleet = testFleet();
  const { peer } = await listen(fleet);
  const stranger = testFleet();
  await rejectsWith(join(stranger, peer, 'nuc-b'), 'refused');
});

test('garbage bodies: a 400 or 413 or 415 in the one error shape, counted, then rate-limited with Retry-After', async () => {
  const fleet = testFleet();
  const { url, server } = await listen(fleet, { failures: { ratePerSecond: 0.01, burst: 6, maxSources: 8 } });
  const challenge = newJoinRandom();
  const good = { fleetId: fleet.fleetId, nodeId: 'nuc-b', challenge, nonce: challenge, proof: 'a'.repeat(43) };
  const cases: [string, string, number, string?][] = [
    ['/v1/join', 'not json', 400],
    ['/v1/join', '{}', 400],
    ['/v1/join', JSON.stringify({ ...good, extra: 1 }), 400],
    ['/v1/join', JSON.stringify({ ...good, proof: 'short' }), 400],
    ['/v1/join/challenge', JSON.stringify({ fleetId: 'x'.repeat(5000) }), 413],
    ['/v1/join/challenge', 'fleetId=1', 415, 'application/x-www-form-urlencoded'],
  ];
  for (const [path, body, status, type] of cases) {
    const r = await raw(url(path), body, type);
    assert.equal(r.status, status, `${path} ${body.slice(0, 40)}`);
    assert.deepEqual(Object.keys(r.json).sort(), ['code', 'message', 'statusCode']);
  }
  assert.equal(server.counters.garbage, 6);
  const limited = await raw(url('/v1/join/challenge'), JSON.stringify({ fleetId: fleet.fleetId }));
  assert.equal(limited.status, 429);
  assert.equal(limited.json['code'], 'E_RATE_LIMITED');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.equal(server.counters['rate-limited'], 1);
});

test('repeated wrong-key attempts are rate-limited per source', async () => {
  const fleet = testFleet();
  const { peer, server } = await listen(fleet, { failures: { ratePerSecond: 0.01, burst: 3, maxSources: 8 } });
  for (let i = 0; i < 3; i++) await rejectsWith(join(fleet, peer, 'nuc-b', randomBytes(32)), 'refused');
  await rejectsWith(join(fleet, peer, 'nuc-b', randomBytes(32)), 'rate-limited');
  await rejectsWith(join(fleet, peer, 'nuc-b'), 'rate-limited');
  assert.equal(server.counters.refused, 3);
});

test('a node that serves no joiners yet answers 503 E_NOT_READY', async () => {
  const fleet = testFleet();
  const { peer } = await listen(fleet, {}, false);
  const e = await rejectsWith(join(fleet, peer, 'nuc-b'), 'unavailable');
  assert.match(e.message, /nuc-seed/);
  assert.ok(seen.some((s) => s.startsWith('503') && s.includes('E_NOT_READY')));
});

/** A rogue "server" without the fleet key: it answers every step as a server would, with its own key. */
async function rogue(fleet: TestFleet, decide: (p: JoinParties) => object): Promise<JoinPeer> {
  const app = Fastify();
  const challenges = new Set<string>();
  app.post('/v1/join/challenge', async () => {
    const challenge = newJoinRandom();
    challenges.add(challenge);
    return { challenge, serverNodeId: 'nuc-evil', expiresInMs: 30_000 };
  });
  app.post<{ Body: { nodeId: string; challenge: string; nonce: string } }>('/v1/join', async (req) => {
    const { nodeId, challenge, nonce } = req.body;
    return decide({ fleetId: fleet.fleetId, challenge, nonce, joinerNodeId: nodeId, serverNodeId: 'nuc-evil' });
  });
  const api = await startApiServer(app, {
    host: '127.0.0.1',
    port: 0,
    tls: await makeNodeCertificate({ hostname: 'nuc-seed' }),
  });
  servers.push(api);
  return { nodeId: 'nuc-evil', address: '127.0.0.1', apiPort: api.port };
}

test('a rogue "server" without the key cannot lure a joiner: its answers are refused', async () => {
  const fleet = testFleet();
  const rogueKey = randomBytes(32);
  const lure: JoinDecision = {
    decision: 'join',
    role: 'server',
    serverUrl: 'https://127.0.0.1:7443',
    token: fakeTokens().server,
    clusterId: 'evil',
  };
  for (const decision of [
    lure,
    { decision: 'wait', retryAfterMs: 3_600_000 },
    { decision: 'ask', registrarNodeId: 'x' },
  ]) {
    const peer = await rogue(fleet, (p) => sealJoinAnswer(rogueKey, p, decision as JoinDecision));
    await rejectsWith(join(fleet, peer, 'nuc-b'), 'bad-server-proof');
  }
  const unsealed = await rogue(fleet, () => ({ iv: 'A'.repeat(16), sealed: 'AAAA', proof: 'A'.repeat(43) }));
  await rejectsWith(join(fleet, unsealed, 'nuc-b'), 'bad-server-proof');
  const junk = await rogue(fleet, () => ({ role: 'server', token: 'K10:::x' }));
  await rejectsWith(join(fleet, junk, 'nuc-b'), 'garbled');
  // A rogue posing under a real server's node ID fares no better.
  const impostor = await rogue(fleet, (p) => sealJoinAnswer(rogueKey, p, lure));
  await rejectsWith(join(fleet, { ...impostor, nodeId: 'nuc-seed' }, 'nuc-b'), 'bad-server-proof');
});

test('an unreachable peer is a JoinError naming the peer, not a transport exception', async () => {
  const fleet = testFleet();
  const closed = await listen(fleet);
  await (servers.pop() as ApiServer).close();
  await rejectsWith(join(fleet, closed.peer, 'nuc-b', fleet.key, plainHttpPost({ timeoutMs: 2000 })), 'unreachable');
});

test('no answer, error or log line of this file holds the fleet key or a token', async () => {
  assert.ok(seen.length > 20, `${seen.length} answers recorded`);
  const secrets = fleets.flatMap((f, i) => secretsOf(f, tokenSets[i] as ReturnType<typeof fakeTokens>));
  const lines = logLines.flat();
  assert.ok(
    lines.some((l) => l.includes('join refused')),
    'the refusals were logged (at debug)',
  );
  for (const text of [...seen, ...lines]) for (const s of secrets) assert.equal(text.includes(s), false, text);
});

after(() => Promise.all(servers.map((s) => s.close())));
