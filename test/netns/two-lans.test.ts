/**
 * A host on two LANs advertises the right address on each (each side sees only the address
 * of its own LAN), and an interface plugged in while the node runs is picked up without a
 * restart. A lossy link (nftables) and a lossy, delayed one (netem, where the kernel has it) still converge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { netemUnavailable, nftUnavailable, waitFor } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { tableOf } from './nodes.js';

const fx = labFixture({ fleet: 'twolans', subnet: '10.64.1', lans: { two: '10.64.2' } });
const { skip } = fx;

test(
  'a two-LAN host is seen with its LAN-1 address on LAN 1 and its LAN-2 address on LAN 2; hot-plug needs no restart',
  { skip },
  async () => {
    fx.addHost('a', { octet: 1 });
    fx.addHost('b', { lan: 'two', octet: 1 });
    fx.addHost('c', { octet: 3 });
    fx.addHost('late', { octet: 9 });
    const a = fx.startNode('a');
    const b = fx.startNode('b');
    const c = fx.startNode('c');
    await waitFor('a to see c', async () => (await tableOf(a)).peers.find((p) => p.nodeId === 'c'), 15_000, 200);

    // Hot-plug: c gets a second NIC on LAN two while running.
    fx.lab.plug('c', 'two', '10.64.2.3/24');
    const cFromB = await waitFor(
      'b to see c after hot-plug',
      async () => (await tableOf(b)).peers.find((p) => p.nodeId === 'c'),
      20_000,
      200,
    );
    const cFromA = (await tableOf(a)).peers.find((p) => p.nodeId === 'c');
    const v4 = (addrs: { address: string }[] | undefined): string[] =>
      (addrs ?? []).map((x) => x.address).filter((x) => !x.includes(':'));
    assert.deepEqual(v4(cFromA?.addresses), ['10.64.1.3'], 'LAN one sees only the LAN-one address');
    assert.deepEqual(v4(cFromB.addresses), ['10.64.2.3'], 'LAN two sees only the LAN-two address');
    assert.deepEqual(
      (await tableOf(b)).peers.map((p) => p.nodeId),
      ['c'],
      'b (LAN two) does not see a (LAN one)',
    );
    const cTable = await waitFor(
      'c to see a and b',
      async () => {
        const t = await tableOf(c);
        return t.peers.length === 2 ? t : undefined;
      },
      10_000,
      200,
    );
    for (const p of cTable.peers)
      assert.equal(
        p.addresses.every((x) => x.iface === (p.nodeId === 'a' ? 'eth0' : 'eth1')),
        true,
        JSON.stringify(p.addresses),
      );

    // `nucmesh peers` on LAN two agrees.
    const r = await fx.cli('b', ['peers', '--fleet', fx.fleet.file, '--timeout', '2', '--json']);
    const listed = (JSON.parse(r.stdout) as { nodeId: string; addresses: string[] }[]).find((p) => p.nodeId === 'c');
    assert.deepEqual(
      listed?.addresses.filter((x) => !x.includes(':')),
      ['10.64.2.3'],
    );
  },
);

test(
  'a node on a lossy, delayed link (20 % loss, 50 ms delay) still converges',
  { skip: skip || netemUnavailable() },
  async () => {
    const fleet = fx.newFleet('lossy');
    fx.lab.netem('late', 'eth0', ['loss', '20%', 'delay', '50ms']);
    fx.addHost('steady-netem', { octet: 42 });
    const n = fx.startNode('late', { fleet });
    // A host of its own: the nodes already on host a hold its API port.
    const a2 = fx.startNode('steady-netem', { nodeId: 'a2', fleet });
    await waitFor(
      'the lossy node and a2 to see each other',
      async () =>
        (await tableOf(n)).peers.some((p) => p.nodeId === 'a2') &&
        (await tableOf(a2)).peers.some((p) => p.nodeId === 'late')
          ? true
          : undefined,
      30_000,
      300,
    );
  },
);

test(
  'a node on a link losing 20 % of packets each way (nftables) still converges',
  { skip: skip || nftUnavailable() },
  async () => {
    const fleet = fx.newFleet('lossy-nft');
    fx.addHost('lossy', { octet: 40 });
    fx.addHost('steady', { octet: 41 });
    fx.lab.loss('lossy', 'eth0', 20);
    const n = fx.startNode('lossy', { fleet });
    // A host of its own: the nodes already on host a hold its API port.
    const a3 = fx.startNode('steady', { nodeId: 'a3', fleet });
    await waitFor(
      'the lossy node and a3 to see each other',
      async () =>
        (await tableOf(n)).peers.some((p) => p.nodeId === 'a3') &&
        (await tableOf(a3)).peers.some((p) => p.nodeId === 'lossy')
          ? true
          : undefined,
      30_000,
      300,
    );
  },
);
