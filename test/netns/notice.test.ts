/**
 * Down notices over a real LAN, sent by a third host: a forged one (wrong key) evicts nobody
 * and is counted; a valid one about a live node makes the others drop it at once, and the node
 * refutes it by re-announcing with a higher generation, so it is back everywhere within
 * seconds; the same notice replayed afterwards names an older generation and evicts nobody.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { signDownNotice } from '../../src/discovery/down-notice.js';
import { waitFor, type Spawned } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { logged, tableOf } from './nodes.js';
import { noticeQuery, sendPackets } from './packets.js';

const fx = labFixture({ fleet: 'notice', subnet: '10.68.0' });
const { skip } = fx;
const node = (id: string): Spawned => fx.node(id);

before(async () => {
  if (skip) return;
  for (const host of fx.addHosts(['n1', 'n2', 'n3'])) fx.startNode(host.name);
  fx.addHost('sender', { octet: 66 });
  // Settled: every node holds both others at their current generation (state forming).
  for (const id of fx.nodeIds) {
    await waitFor(
      `${id} to see both others forming`,
      async () => {
        const peers = (await tableOf(node(id))).peers;
        return peers.length === 2 && peers.every((p) => p.state === 'forming') ? true : undefined;
      },
      15_000,
      200,
    );
  }
});
function send(name: string, packet: Buffer): Promise<void> {
  return sendPackets(fx.lab, 'sender', fx.fleet.dir, name, [packet]);
}

async function n3As(id: string): Promise<{ generation: number } | undefined> {
  return (await tableOf(node(id))).peers.find((p) => p.nodeId === 'n3');
}

test('a forged down notice evicts nobody and is counted', { skip }, async () => {
  const g = (await n3As('n1'))?.generation ?? 0;
  const forged = signDownNotice(randomBytes(32), {
    subject: 'n3',
    generation: g,
    reporter: 'n2',
    fleetId: fx.fleet.fleetId,
  });
  await send('forged', noticeQuery('nuc-n3', forged));
  await waitFor(
    'n1 and n2 to count the forged notice',
    async () =>
      (await tableOf(node('n1'))).counters.badNotice >= 1 && (await tableOf(node('n2'))).counters.badNotice >= 1
        ? true
        : undefined,
    5000,
    100,
  );
  assert.ok(await n3As('n1'), 'n1 still has n3');
  assert.ok(await n3As('n2'), 'n2 still has n3');
});

test(
  'a valid notice about a live node drops it at once; it refutes and is back with a higher generation; a replay is stale',
  { skip },
  async () => {
    const before1 = await n3As('n1');
    assert.ok(before1);
    const fields = { subject: 'n3', generation: before1.generation, reporter: 'n2', fleetId: fx.fleet.fleetId };
    const notice = noticeQuery('nuc-n3', signDownNotice(fx.fleet.key, fields));
    const since = new Map(fx.nodeIds.map((id) => [id, node(id).logs().length]));
    const t0 = performance.now();
    await send('valid', notice);
    await logged(node('n1'), /^peer down: nuc-n3 \(reported\)/, 2000, since.get('n1'));
    const downMs = performance.now() - t0;
    await logged(node('n3'), /^reported down by n2 while alive/, 2000, since.get('n3'));
    for (const id of ['n1', 'n2']) {
      const back = await waitFor(
        `${id} to see n3 back`,
        async () => {
          const p = await n3As(id);
          return p && p.generation > before1.generation ? p : undefined;
        },
        5000,
        100,
      );
      assert.ok(back.generation > before1.generation);
    }
    const backMs = performance.now() - t0;
    console.log(`# reported down after ${Math.round(downMs)} ms, back after ${Math.round(backMs)} ms`);

    // The same notice again: it names an older generation now.
    const since2 = node('n1').logs().length;
    await send('replay', notice);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(
      node('n1')
        .logs()
        .slice(since2)
        .filter((l) => /^peer down: nuc-n3/.test(String(l['msg']))).length,
      0,
      'the replay evicted n3',
    );
    assert.ok(await n3As('n1'));
  },
);
