/**
 * Our own capture (test/fixtures/hardware/synthetic-nuc11tnbv7) covers the sources the shared
 * real captures lack, and deliberately makes sources disagree to test precedence:
 * live sysfs/proc beat command output, which beats dmidecode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { detectInventory } from '../../../../src/firstboot/hardware/index.js';
import { readCaptureDir } from '../../../../src/firstboot/hardware/capture-dir.js';
import { buildInventory } from '../../../../src/firstboot/hardware/build-inventory.js';
import { ownFixturesDir } from '../../../helpers/paths.js';
import { assertInventoryShape } from '../../../helpers/inventory-shape.js';

const dir = path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7');

test('board-name-only NUC 11: placeholders in every system string are null, the board says NUC11TNBv7', async () => {
  const inv = await detectInventory({ from: dir });
  assertInventoryShape(inv);
  assert.deepEqual(inv.platform, { kind: 'nuc', model: 'NUC11TNBv7', generation: 11 });
  assert.deepEqual(
    [inv.system.vendor, inv.system.product, inv.system.version, inv.system.serial],
    [null, null, null, null],
  );
  assert.equal(inv.system.uuid, '5a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', 'UUID is normalised to lower case');
  assert.equal(inv.board.serial, 'BTTN12345678', 'trailing spaces trimmed');
  assert.equal(inv.chassis.type, 'Mini PC', 'sysfs chassis_type 35 named as dmidecode does');
  assert.deepEqual(inv.tpm, { present: true, version: '2.0' });
  assert.equal(inv.virtualization, null, '"none" means bare metal');
  assert.equal(inv.kernel, '6.12.48+deb13-amd64');
  assert.deepEqual(inv.os, { id: 'debian', name: 'Debian GNU/Linux 13 (trixie)', version: '13' });
  assert.deepEqual(inv.warnings, []);
});

test('precedence: /sys/class/dmi/id beats dmidecode, /proc/cpuinfo beats lscpu, /proc/meminfo beats DMI modules', async () => {
  const inv = await detectInventory({ from: dir });
  assert.equal(inv.board.name, 'NUC11TNBv7', 'dmidecode says NUC11TNB');
  assert.equal(inv.bios.version, 'TNTGLV57.0075.2023.0209.1200', 'dmidecode has an older BIOS version');
  assert.equal(inv.cpu.model, '11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz', 'lscpu has a stale model name');
  assert.deepEqual([inv.cpu.sockets, inv.cpu.cores, inv.cpu.threads], [1, 4, 8]);
  assert.ok(inv.cpu.flags.includes('sha_ni') && inv.cpu.flags.length > 100, "flags from cpuinfo, not lscpu's two");
  assert.equal(inv.memory.totalBytes, 32581232 * 1024);
  assert.equal(inv.memory.installedBytes, 32 * 1024 ** 3);
  assert.equal(inv.sources.system, 'dmi-id');
  assert.equal(inv.sources.cpu, 'cpuinfo');

  // Without the sysfs/proc files, the command output and then dmidecode take over.
  const src = await readCaptureDir(dir);
  for (const k of [...src.files.keys()])
    if (k.startsWith('dmi-id/') || k === 'cpuinfo.txt' || k === 'meminfo.txt') src.files.delete(k);
  const fallback = buildInventory(src);
  assert.equal(fallback.board.name, 'NUC11TNB');
  assert.equal(fallback.cpu.model, 'Stale lscpu model (cpuinfo must win)');
  assert.equal(fallback.memory.totalBytes, 32 * 1024 ** 3);
  src.files.delete('lscpu.txt');
  assert.equal(
    buildInventory(src).cpu.model,
    '11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz',
    'dmidecode as last resort',
  );
});

test('lsblk: whole disks only (no loop, zram, partitions), transports, sizes, old "0"/"1" booleans, model trimmed', async () => {
  const inv = await detectInventory({ from: dir });
  assert.deepEqual(
    inv.disks.map((d) => [d.name, d.transport, d.sizeBytes, d.rotational, d.removable, d.model, d.serial]),
    [
      ['sda', 'usb', 31914983424, false, true, 'Ultra Fit', '4C530001230915117425'],
      ['mmcblk0', 'mmc', 62537072640, false, false, null, '0x8a3c11f2'],
      ['nvme0n1', 'nvme', 1000204886016, false, false, 'Samsung SSD 980 PRO 1TB', 'S5GXNF0R123456K'],
    ],
  );
});

test('NICs: ip link + sysfs: drivers, speed, addresses, permanent MAC, and virtual interfaces marked', async () => {
  const inv = await detectInventory({ from: dir });
  const byName = new Map(inv.nics.map((n) => [n.name, n]));
  assert.deepEqual([...byName.keys()], ['lo', 'eno1', 'wlp0s20f3', 'docker0', 'veth1a2b3c4']);
  assert.deepEqual(byName.get('eno1'), {
    name: 'eno1',
    mac: '48:21:0b:3a:5c:7d',
    permanentMac: null,
    driver: 'igc',
    virtual: false,
    speedMbps: 1000,
    addresses: ['192.168.20.31/24', 'fe80::4a21:bff:fe3a:5c7d/64'],
  });
  assert.equal(byName.get('wlp0s20f3')?.permanentMac, '70:cd:0d:aa:bb:cc');
  assert.equal(byName.get('wlp0s20f3')?.virtual, false);
  for (const v of ['lo', 'docker0', 'veth1a2b3c4']) assert.equal(byName.get(v)?.virtual, true, v);
  assert.equal(byName.get('lo')?.mac, null, 'all-zero MAC is not a MAC');
});

test('sensors: chips and temperatures', async () => {
  const inv = await detectInventory({ from: dir });
  assert.deepEqual(inv.sensors.chips, ['coretemp-isa-0000', 'nvme-pci-5800']);
  assert.deepEqual(inv.sensors.temperatures[0], { chip: 'coretemp-isa-0000', label: 'Package id 0', celsius: 41 });
});
