import { test } from 'node:test';
import assert from 'node:assert/strict';
import type os from 'node:os';
import { inSubnet, InterfaceWatcher, selectInterfaces, type InterfaceMap } from '../../../src/discovery/interfaces.js';

function v4(address: string, internal = false): os.NetworkInterfaceInfo {
  return {
    address,
    netmask: '255.255.255.0',
    family: 'IPv4',
    mac: '00:00:00:00:00:00',
    internal,
    cidr: `${address}/24`,
  };
}
function v6(address: string): os.NetworkInterfaceInfo {
  return {
    address,
    netmask: 'ffff:ffff:ffff:ffff::',
    family: 'IPv6',
    mac: '00:00:00:00:00:00',
    internal: false,
    cidr: `${address}/64`,
    scopeid: 2,
  };
}

test('physical interfaces with IPv4 are selected; loopback and container bridges are not, unless named', () => {
  const all: InterfaceMap = {
    lo: [v4('127.0.0.1', true)],
    eth0: [v4('10.0.0.2'), v6('fe80::1')],
    docker0: [v4('172.17.0.1')],
    wlan0: [v6('fe80::2')],
  };
  assert.deepEqual(selectInterfaces(all, []), [
    { name: 'eth0', ipv4: '10.0.0.2', netmask: '255.255.255.0', ipv6LinkLocal: 'fe80::1' },
  ]);
  assert.deepEqual(
    selectInterfaces(all, ['docker0']).map((i) => i.name),
    ['docker0'],
  );
  assert.deepEqual(selectInterfaces(all, ['eth9']), []);
});

test('subnet membership', () => {
  const i = { ipv4: '10.1.2.3', netmask: '255.255.255.0' };
  assert.equal(inSubnet(i, '10.1.2.200'), true);
  assert.equal(inSubnet(i, '10.1.3.1'), false);
  assert.equal(inSubnet(i, 'fe80::1'), false);
});

test('the watcher reports interfaces that appear, change address or disappear', () => {
  let all: InterfaceMap = { eth0: [v4('10.0.0.2')] };
  const w = new InterfaceWatcher([], () => all);
  const seen: string[] = [];
  w.on('added', (i) => seen.push(`+${i.name} ${i.ipv4}`));
  w.on('removed', (i) => seen.push(`-${i.name} ${i.ipv4}`));
  w.poll();
  all = { eth0: [v4('10.0.0.2')], eth1: [v4('10.1.0.2')] };
  w.poll();
  all = { eth0: [v4('10.0.0.3')], eth1: [v4('10.1.0.2')] };
  w.poll();
  all = {};
  w.poll();
  assert.deepEqual(seen, [
    '+eth0 10.0.0.2',
    '+eth1 10.1.0.2',
    '-eth0 10.0.0.2',
    '+eth0 10.0.0.3',
    '-eth0 10.0.0.3',
    '-eth1 10.1.0.2',
  ]);
});
