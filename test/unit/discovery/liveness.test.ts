import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../../../src/api/app.js';
import { createHeartbeatClient } from '../../../src/discovery/heartbeat-client.js';
import { LivenessMonitor } from '../../../src/discovery/liveness.js';
import { PeerTable, type Peer } from '../../../src/discovery/peer-table.js';
import { advertToTxt, type AdvertFields } from '../../../src/discovery/advert.js';
import { signAdvert } from '../../../src/discovery/signature.js';

const key = randomBytes(32);
const FLEET = '0123456789abcdef';

function addPeer(t: PeerTable, nodeId: string, port = 8443, address = '127.0.0.1'): void {
  const f: AdvertFields = { version: 1, nodeId, fleetId: FLEET, state: 'forming', clusterId: '', generation: 1 };
  const txt = advertToTxt({ ...f, signature: signAdvert(key, nodeId, f) });
  t.observe({ key: `${nodeId}._nucmesh._tcp.local`, instance: nodeId, host: 'h.local', port, txt: Object.entries(txt).map(([k, v]) => Buffer.from(`${k}=${v}`)), addresses: [{ address, iface: 'lo' }] });
}

test('two failed heartbeats in a row mark a peer down; one failure followed by success does not', async () => {
  const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key });
  addPeer(t, 'flaky');
  addPeer(t, 'dead');
  const answers: Record<string, boolean[]> = { flaky: [false, true, false, true], dead: [false, false] };
  const m = new LivenessMonitor(t, { intervalMs: 1000, retryMs: 0, failuresToDown: 2, maxProbesPerSecond: 100, probe: async (p: Peer) => answers[p.nodeId]?.shift() ?? true });
  const downs: string[] = [];
  t.on('peer-down', (p, r) => downs.push(`${p.nodeId} ${r}`));
  for (let i = 0; i < 8; i++) {
    m.tick(performance.now() + 10_000 * (i + 1));
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(downs, ['dead liveness']);
  assert.ok(t.get('flaky'));
});

test('the probe interval stretches with the fleet so each node sends at most maxProbesPerSecond', () => {
  const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key });
  const m = new LivenessMonitor(t, { intervalMs: 3000, retryMs: 1000, failuresToDown: 2, maxProbesPerSecond: 10, probe: async () => true });
  assert.equal(m.intervalMs(5), 3000);
  assert.equal(m.intervalMs(30), 3000);
  assert.equal(m.intervalMs(49), 4900);
  assert.equal(m.intervalMs(200), 20_000);
});

test('the heartbeat client accepts only a proof made with the fleet key for the expected node', async () => {
  let stopping = false;
  const app = buildApp({ nodeId: 'n1', version: '1', fleetKey: key, state: () => 'forming', generation: () => 4, stopping: () => stopping });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  try {
    const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key });
    addPeer(t, 'n1', port);
    addPeer(t, 'other', port);
    const peer = t.get('n1') as Peer;
    const good = createHeartbeatClient({ key, timeoutMs: 1000 });
    const wrongKey = createHeartbeatClient({ key: randomBytes(32), timeoutMs: 1000 });
    assert.equal(await good.probe(peer), true);
    assert.equal(await wrongKey.probe(peer), false, 'peer without our key');
    assert.equal(await good.probe(t.get('other') as Peer), false, 'answer for another node ID');
    stopping = true;
    assert.equal(await good.probe(peer), false, 'a stopping node fails its heartbeat');
    assert.equal(await good.probe({ ...peer, port: 1 }), false, 'nothing listening');
    good.close();
    wrongKey.close();
  } finally {
    await app.close();
  }
});
