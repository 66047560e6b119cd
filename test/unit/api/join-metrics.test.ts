/** The join exchange's outcomes are in the node's metrics registry: GET /metrics shows them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinerProof, newJoinRandom, type JoinChallengeAnswer } from '../../../src/node/join-wire.js';
import { createNodeMetrics } from '../../../src/node/metrics.js';
import { asReader, opsApp } from '../../helpers/api-fixture.js';
import { joinServerFor, testFleet } from '../../helpers/join.js';

test('GET /metrics counts join requests by outcome, every outcome from the start', async () => {
  const fleet = testFleet();
  const metrics = createNodeMetrics({ processMetrics: false });
  const { server } = await joinServerFor(fleet, { metrics });
  const { app } = opsApp({}, { metrics, join: () => server });
  // Before any request: the registry itself (GET /metrics keeps a rendering for a second).
  let text = await metrics.registry.metrics();
  const outcome = (name: string) => {
    const m = new RegExp(`^nucmesh_join_requests_total\\{outcome="${name}"\\} (\\d+)$`, 'm').exec(text);
    assert.ok(m, `${name} in:\n${text.slice(0, 300)}`);
    return Number(m[1]);
  };
  for (const name of ['challenge', 'server', 'agent', 'refused', 'garbage', 'rate-limited'])
    assert.equal(outcome(name), 0);

  const c = await app.inject({ method: 'POST', url: '/v1/join/challenge', payload: { fleetId: fleet.fleetId } });
  assert.equal(c.statusCode, 200);
  const { challenge, serverNodeId } = c.json() as JoinChallengeAnswer;
  const nonce = newJoinRandom();
  const parties = { fleetId: fleet.fleetId, challenge, nonce, joinerNodeId: 'nuc-b', serverNodeId };
  const payload = { fleetId: fleet.fleetId, nodeId: 'nuc-b', challenge, nonce, proof: joinerProof(fleet.key, parties) };
  assert.equal((await app.inject({ method: 'POST', url: '/v1/join', payload })).statusCode, 200);
  const replay = await app.inject({ method: 'POST', url: '/v1/join', payload });
  assert.equal(replay.statusCode, 403, 'the challenge is spent');

  const scrape = await app.inject({ url: '/metrics', headers: asReader });
  assert.equal(scrape.statusCode, 200);
  text = scrape.body;
  assert.equal(outcome('challenge'), 1);
  assert.equal(outcome('server'), 1);
  assert.equal(outcome('refused'), 1);
  assert.deepEqual(
    { challenge: server.counters.challenge, server: server.counters.server, refused: server.counters.refused },
    { challenge: 1, server: 1, refused: 1 },
    'the same as the join server counts itself',
  );
});
