/**
 * What keeps the polled routes cheap must not change what they answer: a keep-alive connection's
 * token is trusted again only while it sends the same header for the same tokens; /v1/node's
 * cached answer goes with the state and its age; /metrics' gzip is the same text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startApiServer } from '../../../src/api/server.js';
import { buildApp, type ApiDeps, type ApiTokens } from '../../../src/api/app.js';
import type { NodeStateName } from '../../../src/node/node-state.js';
import { createPinnedAgent } from '../../../src/node/cert-pin.js';
import { answerCache } from '../../../src/api/routes/answer-cache.js';
import { acceptsGzip } from '../../../src/api/routes/metrics.js';
import { asReader, opsApp, opsFixture, SECRETS } from '../../helpers/api-fixture.js';
import { pinnedRequest, testCertificate } from '../../helpers/tls.js';

test('one keep-alive connection: a wrong token after a right one is refused, and new tokens are checked anew', async () => {
  let tokens: ApiTokens = { reader: SECRETS.reader, admin: SECRETS.admin };
  const { deps } = opsApp();
  const app = buildApp({ ...deps, tokens: () => tokens }, { docs: false });
  const s = await startApiServer(app, { host: '127.0.0.1', port: 0, tls: await testCertificate() });
  const { fingerprint } = await testCertificate();
  const agent = createPinnedAgent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  agent.on('free', (socket) => sockets.add(socket));
  const get = (headers: Record<string, string>, path = '/v1/node') =>
    pinnedRequest(s.port, fingerprint, { path, headers, agent }).then((r) => r.status);
  try {
    assert.equal(await get(asReader), 200);
    assert.equal(await get(asReader), 200);
    assert.equal(await get({ authorization: 'Bearer not-the-token' }), 401, 'another header is checked');
    assert.equal(await get({}), 401, 'no header');
    assert.equal(await get(asReader), 200);
    assert.equal(await get(asReader, '/v1/support-bundle'), 403, 'the reader token stays a reader');
    tokens = { reader: 'reader-new-token-000000000000', admin: 'admin-new-token-0000000000000' };
    assert.equal(await get(asReader), 401, 'a new fleet config: the old token is checked against the new ones');
    assert.equal(await get({ authorization: `Bearer ${tokens.reader}` }), 200);
    assert.equal(sockets.size, 1, 'all over one connection');
  } finally {
    agent.destroy();
    await s.close();
  }
});

test('the answer cache: the same bytes while the key and age allow, made anew after', () => {
  let t = 0;
  let made = 0;
  const cache = answerCache(1000, () => t);
  const key1 = {};
  const make = () => `answer ${++made}`;
  assert.equal(cache.get(key1, make).toString(), 'answer 1');
  t = 999;
  assert.equal(cache.get(key1, make).toString(), 'answer 1', 'within the age');
  assert.equal(cache.get({}, make).toString(), 'answer 2', 'another key');
  const key3 = {};
  assert.equal(cache.get(key3, make).toString(), 'answer 3');
  t = 2000;
  assert.equal(cache.get(key3, make).toString(), 'answer 4', 'too old');
});

test('GET /v1/node: a new state is answered at once; the same state is served from the cache', async () => {
  let snapshot: { state: NodeStateName; detail?: string } = { state: 'forming' };
  let calls = 0;
  const ops = opsFixture();
  const node = ops.node;
  const deps: ApiDeps = {
    ...opsApp().deps,
    state: () => snapshot,
    ops: { ...ops, node: () => (calls++, { ...node(), state: snapshot.state }) },
  };
  const app = buildApp(deps, { docs: false });
  const state = async () => {
    const r = await app.inject({ url: '/v1/node', headers: asReader });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = r.json() as Record<string, unknown>;
    assert.equal(body['fleetKey'], undefined, 'still only what the schema lists');
    return body['state'];
  };
  assert.equal(await state(), 'forming');
  assert.equal(await state(), 'forming');
  assert.equal(calls, 1, 'made once for one state');
  snapshot = { state: 'joining' };
  assert.equal(await state(), 'joining');
  assert.equal(calls, 2);
  const uncached = buildApp(deps, { docs: false, cacheMs: 0 });
  await uncached.inject({ url: '/v1/node', headers: asReader });
  await uncached.inject({ url: '/v1/node', headers: asReader });
  assert.equal(calls, 4, 'cacheMs 0: made for every request');
});

test('GET /metrics with Accept-Encoding gzip: the same text, gzipped; Accept-Encoding is read as RFC 9110 says', async () => {
  const { app } = opsApp();
  const plain = await app.inject({ url: '/metrics', headers: asReader });
  const gz = await app.inject({ url: '/metrics', headers: { ...asReader, 'accept-encoding': 'gzip, deflate' } });
  assert.equal(gz.statusCode, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(plain.headers['content-encoding'], undefined);
  // The same metrics (values may differ if a second passed between the two scrapes).
  const types = (text: string) => text.split('\n').filter((l) => l.startsWith('# TYPE '));
  assert.deepEqual(types(gunzipSync(gz.rawPayload).toString()), types(plain.body));
  assert.ok(types(plain.body).length > 20);
  assert.match(String(gz.headers['vary']), /accept-encoding/);
  assert.ok(gz.rawPayload.length < plain.rawPayload.length / 3, 'smaller');
  for (const [header, gzip] of [
    [undefined, false],
    ['gzip', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['GZIP', true],
    ['gzip;q=0', false],
    ['deflate, identity', false],
    ['*', true],
    ['x-gzip', true],
  ] as const)
    assert.equal(acceptsGzip(header), gzip, String(header));
});

test('requests are counted by route pattern and status, refused and unmatched ones too', async () => {
  const { app, metrics } = opsApp();
  await app.inject({ url: '/v1/node', headers: asReader });
  await app.inject({ url: '/v1/node', headers: asReader });
  await app.inject({ url: '/v1/node' });
  await app.inject({ url: '/v1/nothing/here' });
  const text = await metrics.text(0);
  assert.match(text, /nucmesh_api_requests_total\{route="\/v1\/node",method="GET",status="200"\} 2\n/);
  assert.match(text, /nucmesh_api_requests_total\{route="\/v1\/node",method="GET",status="401"\} 1\n/);
  assert.match(text, /nucmesh_api_requests_total\{route="unmatched",method="GET",status="404"\} 1\n/);
  assert.doesNotMatch(text, /nothing\/here/, 'a URL that matches no route is never a label');
});
