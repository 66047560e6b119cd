/** Single parsers on real text: the shapes the merged-inventory tests do not pin down. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseLspci, pciModel } from '../../../../src/firstboot/hardware/parsers/lspci.js';
import { parseDmiRecords, parseDmidecode } from '../../../../src/firstboot/hardware/parsers/dmidecode.js';
import { parseLscpu } from '../../../../src/firstboot/hardware/parsers/lscpu.js';
import { parseHwinfo } from '../../../../src/firstboot/hardware/parsers/hwinfo.js';
import { parseOsRelease, parseSensors, parseVirt } from '../../../../src/firstboot/hardware/parsers/small.js';
import { hardwareFixturesDir, sharedFixturesMissing } from '../../../helpers/paths.js';

const skip = sharedFixturesMissing();
const read = (slug: string, file: string) => readFileSync(path.join(hardwareFixturesDir, slug, file), 'utf8');

test('lspci: -vvnn blocks and plain -nn lines give the same devices; the driver comes from -vv', { skip }, () => {
  const full = read('intel-nuc5i5ryh', 'lspci.txt');
  const plain = full
    .split('\n')
    .filter((l) => /^[0-9a-f]{2}:/.test(l))
    .join('\n');
  const a = parseLspci(full);
  const b = parseLspci(plain);
  assert.equal(a.length, 14);
  assert.deepEqual(
    a.map((d) => [d.slot, d.classId, d.pciId]),
    b.map((d) => [d.slot, d.classId, d.pciId]),
  );
  const eth = a.find((d) => d.classId === '0200');
  assert.deepEqual(
    [eth?.pciId, eth?.driver, eth && pciModel(eth)],
    ['8086:15a3', 'e1000e', 'Ethernet Connection (3) I218-V'],
  );
  assert.equal(b.find((d) => d.classId === '0200')?.driver, null);
});

test('dmidecode: records without blank lines between them (qemu capture) still split at each title', { skip }, () => {
  const records = parseDmiRecords(read('qemu-standard-pc', 'dmidecode.txt'));
  assert.ok(records.some((r) => r.title === 'Physical Memory Array'));
  const mem = parseDmidecode(read('qemu-standard-pc', 'dmidecode.txt')).memoryDevices;
  assert.deepEqual(mem, [{ sizeBytes: 4 * 1024 ** 3, type: 'RAM', speedMTs: null, locator: 'DIMM 0' }]);
});

test('dmidecode: the bare hash lines hw-probe left in place of UUIDs are not fields', { skip }, () => {
  const d = parseDmidecode(read('intel-nuc5i5ryh', 'dmidecode.txt'));
  assert.equal(d.system.uuid, null);
  assert.equal(d.board.name, 'NUC5i5RYB');
  assert.deepEqual(
    d.processors.map((p) => [p.cores, p.threads, p.populated]),
    [[2, 4, true]],
  );
});

test('lscpu: topology and flags', { skip }, () => {
  const c = parseLscpu(read('intel-nuc9vxqnx', 'lscpu.txt'));
  assert.deepEqual([c.vendor, c.sockets, c.cores, c.threads], ['GenuineIntel', 1, 8, 16]);
  assert.ok(c.flags.includes('vmx') && c.flags.includes('avx2'));
});

test('hwinfo: one CPU entry per thread, disks with capacity, interfaces with drivers', { skip }, () => {
  const h = parseHwinfo(read('intel-nuc12wshi5', 'hwinfo.txt'));
  assert.equal(h.cpu.threads, 16);
  assert.ok(h.cpu.flags.includes('sha_ni'));
  assert.deepEqual(
    h.nics.find((n) => n.name === 'enp100s0'),
    { name: 'enp100s0', mac: null, permanentMac: null, driver: 'igc', hasDevice: true },
  );
  assert.deepEqual(h.gpus, [{ vendor: 'Intel', model: 'Intel VGA compatible controller', pciId: '8086:4626' }]);
});

test('sensors, os-release, systemd-detect-virt', { skip }, () => {
  const s = parseSensors(read('intel-nuc11atkc4', 'sensors.txt'));
  assert.deepEqual(s.chips.slice(0, 3), ['coretemp-isa-0000', 'acpitz-acpi-0', 'nvme-pci-0100']);
  assert.deepEqual(s.temperatures[0], { chip: 'coretemp-isa-0000', label: 'Package id 0', celsius: 43 });
  assert.deepEqual(parseOsRelease('NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="13"\n'), {
    id: 'debian',
    name: 'Debian GNU/Linux',
    version: '13',
  });
  assert.equal(parseVirt('none\n'), null);
  assert.equal(parseVirt('kvm\n'), 'kvm');
  assert.equal(parseVirt('<html>'), null);
});
