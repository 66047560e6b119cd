import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../../src/api/app.js';
import { createHeartbeatClient } from '../../../src/discovery/heartbeat-client.js';
import { DEFAULT_LIVENESS, LivenessMonitor, ringSuccessors } from '../../../src/discovery/liveness.js';
import { PeerTable, type Peer } from '../../../src/discovery/peer-table.js';
import { advertToTxt, type AdvertFields } from '../../../src/discovery/advert.js';
import { signAdvert } from '../../../src/discovery/signature.js';

const key = randomBytes(32);
const FLEET = '0123456789abcdef';

function addPeer(t: PeerTable, nodeId: string, port = 8443, address = '127.0.0.1'): void {
  const f: AdvertFields = { version: 1, nodeId, fleetId: FLEET, state: 'forming', clusterId: '', generation: 1 };
  const txt = advertToTxt({ ...f, signature: signAdvert(key, nodeId, f) });
  t.observe({
    key: `${nodeId}._nucmesh._tcp.local`,
    instance: nodeId,
    host: 'h.local',
    port,
    txt: Object.entries(txt).map(([k, v]) => Buffer.from(`${k}=${v}`)),
    addresses: [{ address, iface: 'lo' }],
  });
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('timeouts are ambiguous: three in a row mark a peer down, two do not', async () => {
  const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key });
  addPeer(t, 'slow');
  addPeer(t, 'gone');
  const answers: Record<string, ('alive' | 'unknown')[]> = {
    slow: ['unknown', 'unknown', 'alive', 'unknown', 'unknown', 'alive'],
    gone: ['unknown', 'unknown', 'unknown'],
  };
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'me',
    intervalMs: 1000,
    retryMs: 0,
    probe: async (p: Peer) => answers[p.nodeId]?.shift() ?? 'alive',
  });
  const downs: string[] = [];
  t.on('peer-down', (p) => downs.push(p.nodeId));
  for (let i = 0; i < 12; i++) {
    m.tick(10_000 * (i + 1));
    await flush();
  }
  assert.deepEqual(downs, ['gone']);
});

test('ring successors wrap around and never include self', () => {
  assert.deepEqual(ringSuccessors('c', ['a', 'b', 'd', 'e', 'f'], 2), ['d', 'e']);
  assert.deepEqual(ringSuccessors('f', ['a', 'b', 'c', 'f'], 3), ['a', 'b', 'c']);
  assert.deepEqual(ringSuccessors('a', ['b'], 3), ['b']);
  assert.deepEqual(ringSuccessors('a', [], 3), []);
});

test('two failed heartbeats in a row mark a peer down and announce it; one failure then success does not', async () => {
  const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key });
  addPeer(t, 'flaky');
  addPeer(t, 'dead');
  const answers: Record<string, boolean[]> = { flaky: [false, true, false, true], dead: [false, false] };
  const announced: string[] = [];
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'me',
    intervalMs: 1000,
    retryMs: 0,
    probe: async (p: Peer) => answers[p.nodeId]?.shift() ?? p.nodeId !== 'dead',
    announceSuspicion: (p, what) => announced.push(`${p.nodeId} ${what}`),
  });
  const downs: string[] = [];
  t.on('peer-down', (p, r) => downs.push(`${p.nodeId} ${r}`));
  for (let i = 0; i < 8; i++) {
    m.tick(10_000 * (i + 1));
    await flush();
  }
  assert.deepEqual(downs, ['dead liveness']);
  assert.deepEqual(announced, ['dead down']);
  assert.ok(t.get('flaky'));
});

test('a monitor announces a death it confirmed itself once, even when a notice already dropped the peer; again only after it came back', async () => {
  const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key });
  addPeer(t, 'dead');
  let alive = false;
  const announced: string[] = [];
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'me',
    intervalMs: 1000,
    retryMs: 0,
    probe: async () => alive,
    announceSuspicion: (p, what) => announced.push(`${p.nodeId} ${what}`),
  });
  t.markDown('dead', 'reported'); // another monitor's notice got here first
  for (let i = 0; i < 8; i++) {
    m.tick(10_000 * (i + 1));
    await flush();
  }
  assert.deepEqual(announced, ['dead down'], 'one announcement of our own, not one per failed probe');
  alive = true;
  for (let i = 8; i < 10; i++) {
    m.tick(10_000 * (i + 1));
    await flush();
  }
  assert.ok(t.get('dead'), 'back up after a heartbeat answered');
  alive = false;
  for (let i = 10; i < 16; i++) {
    m.tick(10_000 * (i + 1));
    await flush();
  }
  assert.deepEqual(announced, ['dead down', 'dead up', 'dead down']);
});

test('in a large fleet each node probes only its ring slice often, the rest within a small budget', async () => {
  const t = new PeerTable({ selfNodeId: 'n00', fleetId: FLEET, key });
  for (let i = 1; i < 50; i++) addPeer(t, `n${String(i).padStart(2, '0')}`);
  const probed = new Map<string, number>();
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'n00',
    intervalMs: 3000,
    probe: async (p) => (probed.set(p.nodeId, (probed.get(p.nodeId) ?? 0) + 1), true),
  });
  assert.deepEqual(m.monitored(), ['n01', 'n02', 'n03']);
  const seconds = 1000;
  for (let now = 0; now <= seconds * 1000; now += 100) {
    m.tick(now);
    await flush();
  }
  const total = [...probed.values()].reduce((a, b) => a + b, 0);
  for (const id of ['n01', 'n02', 'n03'])
    assert.ok((probed.get(id) ?? 0) >= seconds / 3.3, `${id} probed ${probed.get(id)} times`);
  const perSecond = total / seconds;
  assert.ok(perSecond <= 3 / 3 + DEFAULT_LIVENESS.sweepProbesPerSecond + 0.1, `${perSecond.toFixed(2)} probes/s`);
  assert.ok(probed.size === 49, 'the sweep still reaches every peer');
});

test('a suspected peer outside our slice is probed soon (jittered), and marked down only by our own failed probes', async () => {
  const t = new PeerTable({ selfNodeId: 'n00', fleetId: FLEET, key });
  for (let i = 1; i < 10; i++) addPeer(t, `n0${i}`);
  const probed: string[] = [];
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'n00',
    intervalMs: 3000,
    minSweepMs: 1e9,
    retryMs: 0,
    probe: async (p) => (probed.push(p.nodeId), p.nodeId !== 'n07'),
  });
  m.tick(0);
  await flush();
  probed.length = 0;
  m.suspect('n05', 10);
  m.suspect('n07', 10);
  m.tick(10 + DEFAULT_LIVENESS.suspicionJitterMs); // suspicion probes are jittered within suspicionJitterMs
  await flush();
  m.tick(20 + DEFAULT_LIVENESS.suspicionJitterMs + DEFAULT_LIVENESS.retryMs);
  await flush();
  assert.deepEqual(probed.filter((id) => id === 'n05' || id === 'n07').sort(), ['n05', 'n07', 'n07']);
  assert.ok(t.get('n05'));
  assert.equal(t.get('n07'), undefined);
});

test('the heartbeat client accepts only a proof made with the fleet key for the expected node', async () => {
  let stopping = false;
  const app = buildApp({
    nodeId: () => 'n1',
    version: '1',
    state: () => ({ state: 'forming' }),
    stopping: () => stopping,
    peers: () => ({ fleetKey: key, generation: () => 4, downNotice: () => 'mark-down' }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  try {
    const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key });
    addPeer(t, 'n1', port);
    addPeer(t, 'other', port);
    const peer = t.get('n1') as Peer;
    const good = createHeartbeatClient({ key, timeoutMs: 1000 });
    const wrongKey = createHeartbeatClient({ key: randomBytes(32), timeoutMs: 1000 });
    assert.equal(await good.probe(peer), 'alive');
    assert.equal(await wrongKey.probe(peer), 'dead', 'peer without our key');
    assert.equal(await good.probe(t.get('other') as Peer), 'dead', 'answer for another node ID');
    stopping = true;
    assert.equal(await good.probe(peer), 'dead', 'a stopping node fails its heartbeat');
    assert.equal(await good.probe({ ...peer, port: 1 }), 'dead', 'nothing listening');
    good.close();
    wrongKey.close();
  } finally {
    await app.close();
  }
});

test('a node whose heartbeats to most of its ring time out suspects itself and declares nobody down; a refused peer still goes down', async () => {
  const t = new PeerTable({ selfNodeId: 'n0', fleetId: FLEET, key });
  for (const id of ['n1', 'n2', 'n3', 'n4', 'n5']) addPeer(t, id);
  // n1..n3 are our ring; we are starved: n1 and n2 time out every time, n3 refuses (killed).
  const outcome: Record<string, 'unknown' | 'dead' | 'alive'> = { n1: 'unknown', n2: 'unknown', n3: 'dead' };
  // Probes resolve at once here; a real timed-out probe takes its 2 s timeout before the 0.5 s
  // retry, so the retry comes 2.5 s after the previous attempt started.
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'n0',
    intervalMs: 3000,
    retryMs: 2500,
    minSweepMs: 1e9,
    probe: async (p) => outcome[p.nodeId] ?? 'alive',
  });
  assert.deepEqual(m.monitored(), ['n1', 'n2', 'n3']);
  const downs: string[] = [];
  t.on('peer-down', (p) => downs.push(p.nodeId));
  for (let now = 0; now <= 60_000; now += 250) {
    m.tick(now);
    await flush();
  }
  assert.deepEqual(downs, ['n3']);
  assert.ok(m.timeoutsForgiven > 0);
  assert.equal(m.suspectsSelf(60_000), true);
});

test('timeouts to a peer outside our ring slice never mark it down; a refusal does', async () => {
  const t = new PeerTable({ selfNodeId: 'n0', fleetId: FLEET, key });
  for (let i = 1; i < 8; i++) addPeer(t, `n${i}`);
  const outcome: Record<string, 'unknown' | 'dead'> = { n6: 'unknown', n7: 'dead' };
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'n0',
    intervalMs: 3000,
    minSweepMs: 1e9,
    probe: async (p) => outcome[p.nodeId] ?? 'alive',
  });
  const downs: string[] = [];
  t.on('peer-down', (p) => downs.push(p.nodeId));
  let now = 0;
  m.tick(now);
  await flush();
  for (let round = 0; round < 4; round++) {
    m.suspect('n6', now, () => 0.5);
    m.suspect('n7', now, () => 0.5);
    for (const end = now + 6000; now < end; now += 250) {
      m.tick(now);
      await flush();
    }
  }
  assert.deepEqual(downs, ['n7']);
});

test('repeated suspicion of one peer makes one probe per cooldown, not one per query', async () => {
  const t = new PeerTable({ selfNodeId: 'n0', fleetId: FLEET, key });
  for (let i = 1; i < 8; i++) addPeer(t, `n${i}`);
  let probes = 0;
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'n0',
    intervalMs: 3000,
    minSweepMs: 1e9,
    probe: async (p) => (p.nodeId === 'n6' && probes++, 'alive'),
  });
  m.tick(0);
  await flush();
  probes = 0;
  // The same suspicion query heard several times within the cooldown (repeats, several monitors).
  for (let now = 10; now <= 4010; now += 10) {
    if (now === 10 || now === 1010 || now === 1500) m.suspect('n6', now);
    m.tick(now);
    await flush();
  }
  assert.equal(probes, 1);
  m.suspect('n6', 4000 + DEFAULT_LIVENESS.suspicionCooldownMs + 100);
  m.tick(4000 + DEFAULT_LIVENESS.suspicionCooldownMs + 100 + DEFAULT_LIVENESS.suspicionJitterMs);
  await flush();
  assert.equal(probes, 2);
});

test('a suspicion probe that times out is retried (jittered) while the suspicion is fresh, so a refusal still gets through', async () => {
  const t = new PeerTable({ selfNodeId: 'n0', fleetId: FLEET, key });
  for (let i = 1; i < 8; i++) addPeer(t, `n${i}`);
  // n6 was killed, but our first two attempts time out (we were slow), then it refuses.
  const answers: ('unknown' | 'dead')[] = ['unknown', 'unknown', 'dead', 'dead'];
  const m = new LivenessMonitor(t, {
    ...DEFAULT_LIVENESS,
    selfNodeId: 'n0',
    intervalMs: 3000,
    minSweepMs: 1e9,
    probe: async (p) => (p.nodeId === 'n6' ? (answers.shift() ?? 'dead') : 'alive'),
  });
  const downs: string[] = [];
  t.on('peer-down', (p) => downs.push(p.nodeId));
  m.tick(0);
  await flush();
  m.suspect('n6', 0);
  for (let now = 0; now <= 8000; now += 100) {
    m.tick(now);
    await flush();
  }
  assert.deepEqual(downs, ['n6']);
});
