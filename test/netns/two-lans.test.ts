/**
 * A host on two LANs advertises the right address on each (each side sees only the address
 * of its own LAN), and an interface plugged in while the node runs is picked up without a
 * restart. A lossy link (nftables) and a lossy, delayed one (netem, where the kernel has it) still converge.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { NetnsLab, netemUnavailable, netnsAvailable, nftUnavailable, waitFor } from './harness.js';
import { makeFleet, startNode, tableOf } from './nodes.js';
import { cliPath } from '../helpers/paths.js';

const skip = netnsAvailable();
const lab = skip ? undefined : new NetnsLab();
after(async () => {
  await lab?.cleanup();
});

test('a two-LAN host is seen with its LAN-1 address on LAN 1 and its LAN-2 address on LAN 2; hot-plug needs no restart', { skip }, async () => {
  const fleet = makeFleet('twolans');
  lab!.addLan('one');
  lab!.addLan('two');
  lab!.addHost('a', [{ lan: 'one', address: '10.64.1.1/24' }]);
  lab!.addHost('b', [{ lan: 'two', address: '10.64.2.1/24' }]);
  lab!.addHost('c', [{ lan: 'one', address: '10.64.1.3/24' }]);
  lab!.addHost('late', [{ lan: 'one', address: '10.64.1.9/24' }]);
  const a = startNode(lab!, 'a', fleet.file, path.join(fleet.dir, 'a'), 'a');
  const b = startNode(lab!, 'b', fleet.file, path.join(fleet.dir, 'b'), 'b');
  const c = startNode(lab!, 'c', fleet.file, path.join(fleet.dir, 'c'), 'c');
  await waitFor('a to see c', async () => (await tableOf(a)).peers.find((p) => p.nodeId === 'c'), 15_000, 200);

  // Hot-plug: c gets a second NIC on LAN two while running.
  lab!.plug('c', 'two', '10.64.2.3/24');
  const cFromB = await waitFor('b to see c after hot-plug', async () => (await tableOf(b)).peers.find((p) => p.nodeId === 'c'), 20_000, 200);
  const cFromA = (await tableOf(a)).peers.find((p) => p.nodeId === 'c');
  const v4 = (addrs: { address: string }[] | undefined): string[] => (addrs ?? []).map((x) => x.address).filter((x) => !x.includes(':'));
  assert.deepEqual(v4(cFromA?.addresses), ['10.64.1.3'], 'LAN one sees only the LAN-one address');
  assert.deepEqual(v4(cFromB.addresses), ['10.64.2.3'], 'LAN two sees only the LAN-two address');
  assert.deepEqual((await tableOf(b)).peers.map((p) => p.nodeId), ['c'], 'b (LAN two) does not see a (LAN one)');
  const cTable = await waitFor('c to see a and b', async () => {
    const t = await tableOf(c);
    return t.peers.length === 2 ? t : undefined;
  }, 10_000, 200);
  for (const p of cTable.peers) assert.equal(p.addresses.every((x) => x.iface === (p.nodeId === 'a' ? 'eth0' : 'eth1')), true, JSON.stringify(p.addresses));

  // `nucmesh peers` on LAN two agrees.
  const r = await lab!.run('b', process.execPath, [cliPath, 'peers', '--fleet', fleet.file, '--timeout', '2', '--json']);
  const listed = (JSON.parse(r.stdout) as { nodeId: string; addresses: string[] }[]).find((p) => p.nodeId === 'c');
  assert.deepEqual(listed?.addresses.filter((x) => !x.includes(':')), ['10.64.2.3']);
});

test('a node on a lossy, delayed link (20 % loss, 50 ms delay) still converges', { skip: skip || netemUnavailable() }, async () => {
  const fleet = makeFleet('lossy');
  const late = lab!.host('late');
  lab!.netem(late.name, 'eth0', ['loss', '20%', 'delay', '50ms']);
  lab!.addHost('steady-netem', [{ lan: 'one', address: '10.64.1.42/24' }]);
  const n = startNode(lab!, 'late', fleet.file, path.join(fleet.dir, 'late'), 'late');
  // A host of its own: the nodes already on host a hold its API port.
  const a2 = startNode(lab!, 'steady-netem', fleet.file, path.join(fleet.dir, 'a2'), 'a2');
  await waitFor('the lossy node and a2 to see each other', async () => ((await tableOf(n)).peers.some((p) => p.nodeId === 'a2') && (await tableOf(a2)).peers.some((p) => p.nodeId === 'late') ? true : undefined), 30_000, 300);
});

test('a node on a link losing 20 % of packets each way (nftables) still converges', { skip: skip || nftUnavailable() }, async () => {
  const fleet = makeFleet('lossy-nft');
  lab!.addHost('lossy', [{ lan: 'one', address: '10.64.1.40/24' }]);
  lab!.addHost('steady', [{ lan: 'one', address: '10.64.1.41/24' }]);
  lab!.loss('lossy', 'eth0', 20);
  const n = startNode(lab!, 'lossy', fleet.file, path.join(fleet.dir, 'lossy'), 'lossy');
  // A host of its own: the nodes already on host a hold its API port.
  const a3 = startNode(lab!, 'steady', fleet.file, path.join(fleet.dir, 'a3'), 'a3');
  await waitFor('the lossy node and a3 to see each other', async () => ((await tableOf(n)).peers.some((p) => p.nodeId === 'a3') && (await tableOf(a3)).peers.some((p) => p.nodeId === 'lossy') ? true : undefined), 30_000, 300);
});
