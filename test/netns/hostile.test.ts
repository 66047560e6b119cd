/**
 * Adverts that must not get into the peer table, sent over a real LAN by a third host:
 * a forged advert (right fleet ID, wrong key), a tampered field, a replayed older generation,
 * another fleet's advert; a forged goodbye for a live peer; a forged short-TTL record that makes a
 * live peer's records expire; and a flood from one source, which is rate-limited while the node
 * keeps working.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { nftUnavailable, waitFor, type Spawned } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { tableOf } from './nodes.js';
import { advertFields, announcement, sendPackets, signedTxt } from './packets.js';

const fx = labFixture({ fleet: 'hostile', subnet: '10.63.0' });
const { skip } = fx;
let key: Buffer;
let fid: string;
let n1: Spawned;
let n2: Spawned;

before(async () => {
  if (skip) return;
  ({ key, fleetId: fid } = fx.fleet);
  fx.addHosts(['n1', 'n2']);
  fx.addHost('evil', { octet: 66 });
  n1 = fx.startNode('n1');
  n2 = fx.startNode('n2');
  const bothSee = async () => (await tableOf(n1)).peers.length === 1 && (await tableOf(n2)).peers.length === 1;
  await waitFor('n1 and n2 to see each other', async () => ((await bothSee()) ? true : undefined), 15_000, 200);
});

function inject(name: string, packets: Buffer[], repeat = 1): Promise<void> {
  return sendPackets(fx.lab, 'evil', fx.fleet.dir, name, packets, repeat);
}

test('forged, tampered, replayed and other-fleet adverts are rejected and counted', { skip }, async () => {
  // A validly signed advert from a third host is accepted: the injection path works.
  await inject('ghost5', [announcement('ghost', signedTxt(key, 'ghost', advertFields('ghost', fid, 5)), '10.63.0.66')]);
  await waitFor(
    'n1 to accept the validly signed ghost',
    async () => (await tableOf(n1)).peers.find((p) => p.nodeId === 'ghost'),
    5000,
    100,
  );

  const forged = signedTxt(randomBytes(32), 'forger', advertFields('forger', fid, 1));
  const tampered = { ...signedTxt(key, 'tamper', advertFields('tamper', fid, 1)), st: 'server' };
  const replay = signedTxt(key, 'ghost', advertFields('ghost', fid, 4, { state: 'server' }));
  const foreign = signedTxt(randomBytes(32), 'alien', advertFields('alien', 'fedcba9876543210', 1));
  await inject('bad', [
    announcement('forger', forged, '10.63.0.66'),
    announcement('tamper', tampered, '10.63.0.66'),
    announcement('ghost', replay, '10.63.0.66'),
    announcement('alien', foreign, '10.63.0.66'),
  ]);
  for (const n of [n1, n2]) {
    const t = await waitFor(
      'the rejections to be counted',
      async () => {
        const s = await tableOf(n);
        return s.counters.badSignature >= 2 && s.counters.stale >= 1 && s.counters.otherFleet >= 1 ? s : undefined;
      },
      5000,
      100,
    );
    assert.deepEqual(
      t.peers
        .map((p) => p.nodeId)
        .sort()
        .filter((id) => id !== 'ghost'),
      [n === n1 ? 'n2' : 'n1'],
    );
    const ghost = t.peers.find((p) => p.nodeId === 'ghost');
    if (ghost) assert.equal(ghost.generation, 5, 'the replay did not roll the ghost back');
    assert.equal(t.counters.badSignature, 2);
    assert.equal(t.counters.stale, 1);
    assert.equal(t.counters.otherFleet, 1);
  }
});

test('a forged goodbye for a live peer is counted and does not drop it', { skip }, async () => {
  const fqdn = 'nuc-n2._nucmesh._tcp.local';
  const goodbye = dnsPacket.encode({
    type: 'response',
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    answers: [
      { type: 'PTR', name: '_nucmesh._tcp.local', ttl: 0, data: fqdn },
      { type: 'SRV', name: fqdn, ttl: 0, flush: true, data: { target: 'nuc-n2.local', port: 8443 } },
    ],
  });
  const since = n1.logs().length;
  await inject('goodbye', [goodbye]);
  const t = await waitFor(
    'n1 to count the forged goodbye',
    async () => {
      const s = await tableOf(n1);
      return s.counters.spoofedGoodbye >= 1 ? s : undefined;
    },
    5000,
    100,
  );
  assert.ok(
    t.peers.some((p) => p.nodeId === 'n2'),
    'n2 still a peer',
  );
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(
    n1
      .logs()
      .slice(since)
      .filter((l) => /^peer down: nuc-n2/.test(String(l['msg']))).length,
    0,
    'n2 was dropped',
  );
});

test(
  'a forged short-TTL SRV record for a live peer makes it expire in the cache, but the peer answers its heartbeat and stays',
  { skip: skip || nftUnavailable() },
  async () => {
    // Cache-flush SRV with the peer's own data and a 1 s TTL: it replaces the record, which
    // then expires, as when refresh answers get lost. n2's own mDNS does not reach n1 meanwhile
    // (nftables), or ciao would correct the TTL at once. The peer is checked over HTTP and kept;
    // nothing is logged as down.
    const fqdn = 'nuc-n2._nucmesh._tcp.local';
    const shortLived = dnsPacket.encode({
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      answers: [{ type: 'SRV', name: fqdn, ttl: 1, flush: true, data: { target: 'nuc-n2.local', port: 8443 } }],
    });
    const since = n1.logs().length;
    const before = (await tableOf(n1)).keptAfterExpiry;
    fx.lab.blockMdnsInput('n1', '10.63.0.2');
    let t;
    try {
      await inject('short-ttl', [shortLived]);
      t = await waitFor(
        'n1 to keep n2 after the expiry',
        async () => {
          const s = await tableOf(n1);
          return s.keptAfterExpiry > before ? s : undefined;
        },
        8000,
        100,
      );
    } finally {
      fx.lab.unblockMdnsInput('n1');
    }
    assert.ok(
      t.peers.some((p) => p.nodeId === 'n2'),
      'n2 still a peer',
    );
    assert.equal(
      n1
        .logs()
        .slice(since)
        .filter((l) => /^peer down: nuc-n2/.test(String(l['msg']))).length,
      0,
      'n2 was dropped',
    );
  },
);

test('a flood of adverts from one source is rate-limited and the node keeps working', { skip }, async () => {
  const packets = Array.from({ length: 50 }, (_, i) => announcement(`flood${i}`, { junk: String(i) }, '10.63.0.66'));
  const before = await tableOf(n1);
  const t0 = performance.now();
  await inject('flood', packets, 40); // 2000 packets as fast as the sender can go
  const seconds = (performance.now() - t0) / 1000;
  const t = await tableOf(n1);
  const received = t.packets.received - before.packets.received;
  const limited = t.packets.rateLimited - before.packets.rateLimited;
  console.log(`# flood: ${received} received in ${seconds.toFixed(1)} s, ${limited} rate-limited`);
  assert.ok(limited > 0, 'some packets were rate-limited');
  // Burst 60 + 20/s from the flooder, plus a little legitimate traffic from n2.
  assert.ok(received - limited <= 60 + 20 * (seconds + 1) + 20, `${received - limited} packets got through`);
  assert.ok(
    t.peers.some((p) => p.nodeId === 'n2'),
    'n2 still a peer',
  );
  assert.equal(n1.child.exitCode, null, 'n1 still running');
});
