/**
 * Three hosts on one LAN find each other, see a TXT (state) change, drop a peer within 1 s
 * of its goodbye and within 10 s of a SIGKILL (no goodbye), and `nucmesh peers --json`
 * lists them with verified signatures.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { waitFor } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { logged, tableOf } from './nodes.js';

const fx = labFixture({ fleet: 'three', subnet: '10.61.0' });
const { skip } = fx;
const node = (id: string) => fx.node(id);

before(() => {
  if (skip) return;
  for (const host of fx.addHosts(['n1', 'n2', 'n3'])) fx.startNode(host.name);
});

test('3 hosts find each other with verified adverts', { skip }, async () => {
  const t0 = performance.now();
  for (const n of ['n1', 'n2', 'n3']) {
    await waitFor(
      `${n} to see both others`,
      async () => ((await tableOf(node(n))).peers.length === 2 ? true : undefined),
      15_000,
      200,
    );
  }
  console.log(`# converged in ${Math.round(performance.now() - t0)} ms`);
  const t = await tableOf(node('n1'));
  assert.deepEqual(t.peers.map((p) => p.nodeId).sort(), ['n2', 'n3']);
  for (const p of t.peers) {
    assert.equal(p.verified, true);
    assert.equal(p.fleetMatches, true);
    assert.ok(
      p.addresses.some((a) => a.address === `10.61.0.${p.nodeId.slice(1)}`),
      JSON.stringify(p.addresses),
    );
    assert.equal(p.port, 8443);
  }
  assert.equal(t.counters.badSignature + t.counters.stale + t.counters.otherFleet, 0);
});

test(
  'the browser socket holds a burst: its receive buffer is 1 MiB (2 MiB of kernel accounting), as far as rmem_max allows',
  { skip },
  async () => {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
    const r = await fx.lab.run('n1', 'ss', ['-uamnp', 'sport = :5353']);
    assert.equal(r.code, 0, r.stderr);
    const ours = r.stdout
      .split(/\n(?=UNCONN)/)
      .filter((block) => block.includes(`pid=${node('n1').child.pid as number},`));
    const buffers = ours.map((block) => Number(/skmem:\(r\d+,rb(\d+)/.exec(block)?.[1]));
    assert.ok(buffers.length >= 2, `our browser and ciao sockets: ${r.stdout}`);
    // ciao asks for 800 KiB; our browser for 1 MiB: the largest is ours.
    assert.equal(Math.max(...buffers), Math.min(2 * 1024 * 1024, 2 * rmemMax), r.stdout);
  },
);

test(
  'nucmesh peers --json lists every node with verified signatures, and unverified without the key',
  { skip },
  async () => {
    const withKey = await fx.cli('n1', ['peers', '--fleet', fx.fleet.file, '--timeout', '2', '--json']);
    assert.equal(withKey.code, 0, withKey.stderr);
    const list = JSON.parse(withKey.stdout) as Record<string, unknown>[];
    assert.deepEqual(list.map((p) => p['nodeId']).sort(), ['n1', 'n2', 'n3']);
    for (const p of list) {
      for (const k of ['nodeId', 'instance', 'state', 'cluster', 'addresses', 'fleetMatches', 'verified'])
        assert.ok(k in p, `field ${k}`);
      assert.equal(p['verified'], true);
      assert.equal(p['fleetMatches'], true);
    }
    const without = await fx.cli('n2', ['peers', '--timeout', '2', '--json']);
    assert.equal(without.code, 0, without.stderr);
    const list2 = JSON.parse(without.stdout) as Record<string, unknown>[];
    assert.equal(list2.length, 3);
    assert.ok(list2.every((p) => p['verified'] === false));
    const keyPattern = new RegExp(fx.fleet.config.key.replace(/[+/=]/g, '.'));
    assert.doesNotMatch(withKey.stdout + without.stdout, keyPattern, 'no key printed');
  },
);

test('a state change (TXT update) is seen by the others with a higher generation', { skip }, async () => {
  const before1 = (await tableOf(node('n1'))).peers.find((p) => p.nodeId === 'n3');
  assert.ok(before1);
  node('n3').send('state seeding');
  for (const n of ['n1', 'n2']) {
    const p = await waitFor(
      `${n} to see n3 seeding`,
      async () => (await tableOf(node(n))).peers.find((x) => x.nodeId === 'n3' && x.state === 'seeding'),
      5000,
      100,
    );
    assert.ok(p.generation > before1.generation);
  }
});

test('goodbye: a cleanly stopped peer is gone from the others within 1 s', { skip }, async () => {
  const since1 = node('n1').logs().length;
  const since3 = node('n3').logs().length;
  const t0 = performance.now();
  node('n2').child.kill('SIGTERM');
  await logged(node('n1'), /^peer down: nuc-n2 \(goodbye\)/, 5000, since1);
  const ms1 = performance.now() - t0;
  await logged(node('n3'), /^peer down: nuc-n2 \(goodbye\)/, 5000, since3);
  const ms = performance.now() - t0;
  console.log(`# goodbye seen after ${Math.round(ms1)} / ${Math.round(ms)} ms`);
  assert.ok(ms <= 1000, `goodbye took ${Math.round(ms)} ms`);
  assert.equal(await node('n2').exited, 0);
});

test('kill: a SIGKILLed peer (no goodbye) is gone from the others within 10 s', { skip }, async () => {
  const since = node('n1').logs().length;
  const t0 = performance.now();
  node('n3').child.kill('SIGKILL');
  await logged(node('n1'), /^peer down: nuc-n3 \((liveness|reported)\)/, 15_000, since);
  const ms = performance.now() - t0;
  console.log(`# kill detected after ${Math.round(ms)} ms`);
  assert.ok(ms <= 10_000, `kill detection took ${Math.round(ms)} ms`);
  assert.deepEqual((await tableOf(node('n1'))).peers, []);
});
