import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { advertToTxt, type AdvertFields } from '../../../src/discovery/advert.js';
import { signAdvert } from '../../../src/discovery/signature.js';
import type { ResolvedService } from '../../../src/discovery/browser.js';
import { PeerTable, type Peer } from '../../../src/discovery/peer-table.js';
import { resolvedService } from '../../helpers/adverts.js';

const key = randomBytes(32);
const FLEET = '0123456789abcdef';

function svc(
  instance: string,
  f: Partial<AdvertFields>,
  opts: { key?: Buffer; tamper?: Record<string, string> } = {},
): ResolvedService {
  const fields: AdvertFields = {
    version: 1,
    nodeId: instance,
    fleetId: FLEET,
    state: 'forming',
    clusterId: '',
    generation: 1,
    ...f,
  };
  const txt = {
    ...advertToTxt({ ...fields, signature: signAdvert(opts.key ?? key, instance, fields) }),
    ...opts.tamper,
  };
  return resolvedService(instance, txt);
}

function table(): { t: PeerTable; events: string[] } {
  const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key });
  const events: string[] = [];
  t.on('peer-up', (p) => events.push(`up ${p.nodeId} ${p.state}`));
  t.on('peer-changed', (p, prev) => events.push(`changed ${p.nodeId} ${prev.state}->${p.state}`));
  t.on('peer-down', (p, r) => events.push(`down ${p.nodeId} ${r}`));
  return { t, events };
}

test('verified adverts make peers, with up / changed / down events; our own advert is dropped', () => {
  const { t, events } = table();
  t.observe(svc('me', {}));
  t.observe(svc('n1', {}));
  t.observe(svc('n1', { state: 'seeding', generation: 2 }));
  t.removeService('n1._nucmesh._tcp.local', 'goodbye');
  assert.deepEqual(events, ['up n1 forming', 'changed n1 forming->seeding', 'down n1 goodbye']);
  assert.equal(t.size, 0);
});

test('other fleet, forged, tampered and replayed adverts are kept out and counted', () => {
  const { t, events } = table();
  t.observe(svc('n1', { fleetId: 'fedcba9876543210' }));
  t.observe(svc('n2', {}, { key: randomBytes(32) })); // forged: right fleet ID, wrong key
  t.observe(svc('n3', {}, { tamper: { st: 'server' } })); // tampered field
  t.observe(svc('n4', { generation: 5 }));
  t.observe(svc('n4', { generation: 4, state: 'server' })); // replay of an older (validly signed) advert
  t.observe(svc('n4', { generation: 5, state: 'agent' })); // same generation, different content
  t.observe({ ...svc('n5', {}), txt: [Buffer.from('hello=world')] }); // not an advert at all (e.g. avahi-publish)
  assert.deepEqual(t.counters, {
    otherFleet: 1,
    badSignature: 2,
    stale: 2,
    invalid: 1,
    tableFull: 0,
    badNotice: 0,
    spoofedGoodbye: 0,
  });
  assert.deepEqual(events, ['up n4 forming']);
  assert.equal(t.get('n4')?.generation, 5);
});

test('a replay is rejected even after the peer went down and its advert came back', () => {
  const { t } = table();
  t.observe(svc('n1', { generation: 3 }));
  t.removeService('n1._nucmesh._tcp.local', 'goodbye');
  t.observe(svc('n1', { generation: 2 }));
  assert.equal(t.size, 0);
  assert.equal(t.counters.stale, 1);
  t.observe(svc('n1', { generation: 4 }));
  assert.equal(t.size, 1);
});

test('liveness: markDown drops a peer until a heartbeat answers or a newer advert arrives', () => {
  const { t, events } = table();
  t.observe(svc('n1', { generation: 1 }));
  t.markDown('n1');
  t.observe(svc('n1', { generation: 1 })); // the same cached advert does not resurrect it
  assert.equal(t.size, 0);
  assert.equal(t.dormant().length, 1);
  t.markAlive('n1');
  assert.equal(t.size, 1);
  t.markDown('n1');
  t.observe(svc('n1', { generation: 2 }));
  assert.deepEqual(events, ['up n1 forming', 'down n1 liveness', 'up n1 forming', 'down n1 liveness', 'up n1 forming']);
});

test('the table and the generation memory are bounded', () => {
  const t = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key, maxPeers: 10, maxGenerations: 20 });
  for (let i = 0; i < 50; i++) t.observe(svc(`n${i}`, {}));
  assert.equal(t.size, 10);
  assert.equal(t.counters.tableFull, 40);
  const peers: Peer[] = t.list();
  assert.ok(peers.every((p) => p.verified && p.fleetMatches));
});
