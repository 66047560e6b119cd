/**
 * Every real capture in ../shared/fixtures/hardware gives the answers read off its files by
 * hand (see the README there): platform, vendor, CPU, memory, disks and NICs where present.
 * Serials, UUIDs and MACs there are anonymised ("--", "...", hashes) and must come out null.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { detectInventory, type FullInventory } from '../../../../src/firstboot/hardware/index.js';
import { hardwareFixturesDir, sharedFixturesMissing } from '../../../helpers/paths.js';
import { assertInventoryShape } from '../../../helpers/inventory-shape.js';

const skip = sharedFixturesMissing();
const GiB = 1024 ** 3;

interface Expect {
  kind: 'nuc' | 'other' | 'virtual';
  model: string | null;
  generation: number | null;
  vendor: string | null;
  cpu: RegExp | null;
  cores: number | null;
  threads: number | null;
  memGiB: number | null;
  modules?: number;
  disks?: [name: string, transport: string, sizeBytes: number | null, model: RegExp][];
  physicalNics?: [name: string, driver: string][];
  virtualNics?: number;
  gpus?: string[];
  nicControllers?: { wired: number; wireless: number };
}

const EXPECTED: Record<string, Expect> = {
  'asus-nuc13anh-b': {
    kind: 'nuc',
    model: 'NUC13ANH-B',
    generation: 13,
    vendor: 'ASUSTeK COMPUTER INC.',
    cpu: /i5-1340P$/,
    cores: 12,
    threads: 16,
    memGiB: 32,
    modules: 2,
  },
  'dell-optiplex-micro-7010': {
    kind: 'other',
    model: 'OptiPlex Micro 7010',
    generation: null,
    vendor: 'Dell Inc.',
    cpu: /i3-13100T$/,
    cores: 4,
    threads: 8,
    memGiB: 4,
    modules: 1,
    nicControllers: { wired: 1, wireless: 0 },
  },
  'intel-nuc11atkc4': {
    kind: 'nuc',
    model: 'NUC11ATKC4',
    generation: 11,
    vendor: 'Intel(R) Client Systems',
    cpu: /Celeron\(R\) N5105/,
    cores: 4,
    threads: 4,
    memGiB: 16,
    modules: 2,
    disks: [['nvme0n1', 'nvme', 250059350016, /Crucial/]],
    physicalNics: [['eno1', 'r8169']],
    virtualNics: 11,
  },
  'intel-nuc11pahi5': {
    kind: 'nuc',
    model: 'NUC11PAHi5',
    generation: 11,
    vendor: 'Intel(R) Client Systems',
    cpu: /i5-1135G7/,
    cores: 4,
    threads: 8,
    memGiB: 32,
    modules: 2,
  },
  'intel-nuc12dcmi9': {
    kind: 'nuc',
    model: 'NUC12DCMi9',
    generation: 12,
    vendor: 'Intel(R) Client Systems',
    cpu: /i9-12900$/,
    cores: 16,
    threads: 24,
    memGiB: 32,
    modules: 2,
  },
  'intel-nuc12wshi5': {
    kind: 'nuc',
    model: 'NUC12WSHi5',
    generation: 12,
    vendor: 'Intel(R) Client Systems',
    cpu: /i5-1240P$/,
    cores: 12,
    threads: 16,
    memGiB: 8,
    modules: 1,
    disks: [
      ['nvme0n1', 'nvme', 240057409536, /E12 NVMe/],
      ['sda', 'sata', 250059350016, /Samsung SSD 860/],
    ],
    physicalNics: [
      ['enp100s0', 'igc'],
      ['wlo1', 'iwlwifi'],
    ],
    virtualNics: 1,
  },
  'intel-nuc13anhi7': {
    kind: 'nuc',
    model: 'NUC13ANHi7',
    generation: 13,
    vendor: 'Intel(R) Client Systems',
    cpu: /i7-1360P$/,
    cores: 12,
    threads: 16,
    memGiB: 32,
    modules: 2,
  },
  'intel-nuc13rngi9': {
    kind: 'nuc',
    model: 'NUC13RNGi9',
    generation: 13,
    vendor: 'Intel(R) Client Systems',
    cpu: /i9-13900K$/,
    cores: 24,
    threads: 32,
    memGiB: 32,
    modules: 1,
  },
  'intel-nuc5i5ryh': {
    kind: 'nuc',
    model: 'NUC5i5RYB',
    generation: 5,
    vendor: null,
    cpu: /i5-5250U CPU @ 1\.60GHz/,
    cores: 2,
    threads: 4,
    memGiB: 16,
    modules: 2,
    disks: [['sda', 'sata', null, /^TS256GMTS800$/]],
    physicalNics: [
      ['enp0s25', 'e1000e'],
      ['wlp2s0', 'iwlwifi'],
    ],
    virtualNics: 1,
    gpus: ['8086:1626'],
    nicControllers: { wired: 1, wireless: 1 },
  },
  'intel-nuc7cjyh': {
    kind: 'nuc',
    model: 'NUC7CJYH',
    generation: 7,
    vendor: 'Intel(R) Client Systems',
    cpu: /Celeron\(R\) J4005/,
    cores: 2,
    threads: 2,
    memGiB: 4,
    modules: 1,
    nicControllers: { wired: 1, wireless: 1 },
  },
  'intel-nuc7i5bnh': {
    kind: 'nuc',
    model: 'NUC7i5BNH',
    generation: 7,
    vendor: 'Intel Corporation',
    cpu: /i5-7260U/,
    cores: 2,
    threads: 4,
    memGiB: 8,
    modules: 1,
  },
  'intel-nuc8i5beh': {
    kind: 'nuc',
    model: 'NUC8i5BEH',
    generation: 8,
    vendor: 'Intel(R) Client Systems',
    cpu: /i5-8259U/,
    cores: 4,
    threads: 8,
    memGiB: 16,
    modules: 1,
  },
  'intel-nuc9vxqnx': {
    kind: 'nuc',
    model: 'NUC9VXQNX',
    generation: 9,
    vendor: 'Intel(R) Client Systems',
    cpu: /^Intel\(R\) Xeon\(R\) E-2286M CPU @ 2\.40GHz$/,
    cores: 8,
    threads: 16,
    memGiB: 64,
    modules: 2,
  },
  'qemu-standard-pc': {
    kind: 'virtual',
    model: 'Standard PC (Q35 + ICH9, 2009)',
    generation: null,
    vendor: 'QEMU',
    cpu: null,
    cores: 12,
    threads: 12,
    memGiB: 4,
    modules: 1,
  },
  'raspberry-pi-4b-uefi': {
    kind: 'other',
    model: 'rpi',
    generation: null,
    vendor: 'raspberrypi',
    cpu: null,
    cores: null,
    threads: null,
    memGiB: null,
    modules: 0,
  },
};

test('every fixture machine has expectations, and every expectation a fixture', { skip }, () => {
  const dirs = readdirSync(hardwareFixturesDir).filter((d) =>
    statSync(path.join(hardwareFixturesDir, d)).isDirectory(),
  );
  assert.deepEqual(dirs.sort(), Object.keys(EXPECTED).sort());
});

for (const [slug, e] of Object.entries(EXPECTED)) {
  test(`fixture ${slug}: ${e.kind} ${e.model ?? ''}`, { skip }, async () => {
    const inv: FullInventory = await detectInventory({ from: path.join(hardwareFixturesDir, slug) });
    assertInventoryShape(inv);
    assert.deepEqual(inv.platform, { kind: e.kind, model: e.model, generation: e.generation });
    assert.equal(inv.system.vendor, e.vendor);
    if (e.cpu) assert.match(inv.cpu.model ?? '', e.cpu);
    else if (slug === 'raspberry-pi-4b-uefi') assert.equal(inv.cpu.model, null, 'SMBIOS says "Unknown": not a model');
    if (e.cpu) assert.equal(inv.cpu.vendor, 'Intel');
    assert.equal(inv.cpu.cores, e.cores);
    assert.equal(inv.cpu.threads, e.threads);
    assert.equal(inv.memory.totalBytes, e.memGiB === null ? null : e.memGiB * GiB);
    if (e.modules !== undefined) assert.equal(inv.memory.modules.length, e.modules);
    // Anonymised identifiers are not data.
    for (const v of [
      inv.system.serial,
      inv.system.uuid,
      inv.board.serial,
      ...inv.disks.map((d) => d.serial),
      ...inv.nics.map((n) => n.mac),
      ...inv.nics.map((n) => n.permanentMac ?? null),
    ]) {
      assert.equal(v, null);
    }
    if (e.disks) {
      assert.deepEqual(
        inv.disks.map((d) => [d.name, d.transport, d.sizeBytes]),
        e.disks.map(([n, t, s]) => [n, t, s]),
      );
      e.disks.forEach(([, , , model], i) => assert.match(inv.disks[i]?.model ?? '', model));
    } else {
      assert.deepEqual(inv.disks, [], 'no disk source captured: no disks invented');
    }
    if (e.physicalNics) {
      const physical = inv.nics.filter((n) => !n.virtual).map((n) => [n.name, n.driver]);
      assert.deepEqual(physical.sort(), [...e.physicalNics].sort());
      assert.equal(inv.nics.filter((n) => n.virtual).length, e.virtualNics);
    }
    if (e.gpus)
      assert.deepEqual(
        inv.gpus.map((g) => g.pciId),
        e.gpus,
      );
    if (e.nicControllers) {
      assert.equal(inv.nicControllers.filter((c) => !c.wireless).length, e.nicControllers.wired);
      assert.equal(inv.nicControllers.filter((c) => c.wireless).length, e.nicControllers.wireless);
    }
  });
}

test('fixture intel-nuc11atkc4: docker0, br-*, veth* and lo are virtual; eno1 is not', { skip }, async () => {
  const inv = await detectInventory({ from: path.join(hardwareFixturesDir, 'intel-nuc11atkc4') });
  for (const n of inv.nics) assert.equal(n.virtual, n.name !== 'eno1', n.name);
  assert.ok(inv.nics.some((n) => n.name.startsWith('br-')) && inv.nics.some((n) => n.name === 'docker0'));
});

test(
  'fixture intel-nuc5i5ryh: blank system strings become null; the board name alone says NUC5i5RYB',
  { skip },
  async () => {
    const inv = await detectInventory({ from: path.join(hardwareFixturesDir, 'intel-nuc5i5ryh') });
    assert.deepEqual(
      [inv.system.vendor, inv.system.product, inv.system.version, inv.system.sku, inv.system.family],
      [null, null, null, null, null],
    );
    assert.equal(inv.board.name, 'NUC5i5RYB');
    assert.ok(inv.cpu.flags.includes('vmx') && inv.cpu.flags.includes('avx2') && inv.cpu.flags.includes('aes'));
    assert.equal(inv.memory.modules[0]?.type, 'DDR3');
    assert.equal(inv.memory.modules[0]?.speedMTs, 1600);
  },
);
