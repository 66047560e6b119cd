import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseSfdiskJson,
  planLayout,
  retargetBootConfig,
  ESP_TYPE,
  ROOT_X86_64_TYPE,
} from '../../../src/installer/layout.js';
import { entryForPartition, orderWithFirst, parseEfibootmgr } from '../../../src/installer/efi-boot.js';
import { describeProgress } from '../../../src/installer/progress.js';
import { bigText } from '../../../src/firstboot/console/big-text.js';

const stick = parseSfdiskJson(
  JSON.stringify({
    partitiontable: {
      label: 'gpt',
      id: 'D1D1D1D1-0000-4000-8000-000000000000',
      device: '/dev/sda',
      unit: 'sectors',
      sectorsize: 512,
      partitions: [
        {
          node: '/dev/sda1',
          start: 2048,
          size: 524288,
          type: ESP_TYPE.toUpperCase(),
          uuid: 'E5E5E5E5-0000-4000-8000-000000000001',
          name: 'nucmesh-esp',
        },
        {
          node: '/dev/sda2',
          start: 526336,
          size: 1683456,
          type: ROOT_X86_64_TYPE.toUpperCase(),
          uuid: 'F0F0F0F0-0000-4000-8000-000000000002',
          name: 'nucmesh-root',
        },
      ],
    },
  }),
);
const ids = {
  diskId: 'new-disk',
  espPartUuid: 'new-esp',
  rootPartUuid: 'new-root',
  rootFsUuid: 'new-fs',
  espVolumeId: '1234ABCD',
};

test('layout: the same byte offsets, root to the end of the disk, new IDs in the partition table', () => {
  const l = planLayout(stick, { sizeBytes: 10 * 1024 ** 3, sectorSize: 512 }, ids);
  assert.deepEqual(l.ranges, [
    { what: 'esp', offset: 1048576, length: 268435456 },
    { what: 'root', offset: 269484032, length: 861929472 },
  ]);
  assert.match(l.sfdiskScript, /^label-id: new-disk$/m);
  assert.match(l.sfdiskScript, /start=2048, size=524288, type=c12a7328[^\n]*uuid=new-esp, name=nucmesh-esp/);
  assert.match(
    l.sfdiskScript,
    /^start=526336, type=4f68bce3[^\n,]*, uuid=new-root, name=nucmesh-root$/m,
    'root has no size: the rest of the disk',
  );
  assert.equal(l.minTargetBytes, 269484032 + 861929472 + 1048576);
  const k4 = planLayout(stick, { sizeBytes: 10 * 1024 ** 3, sectorSize: 4096 }, ids);
  assert.match(k4.sfdiskScript, /start=256, size=65536,/, 'sectors of a 4Kn disk');
  assert.throws(() =>
    planLayout({ ...stick, partitions: stick.partitions.slice(0, 1) }, { sizeBytes: 1e10, sectorSize: 512 }, ids),
  );
});

test('boot entries name the new partitions', () => {
  const l = planLayout(stick, { sizeBytes: 10 * 1024 ** 3, sectorSize: 512 }, ids);
  const entry =
    'options root=PARTUUID=f0f0f0f0-0000-4000-8000-000000000002 nucmesh.esp=PARTUUID=e5e5e5e5-0000-4000-8000-000000000001 ro\n';
  assert.equal(retargetBootConfig(entry, l), 'options root=PARTUUID=new-root nucmesh.esp=PARTUUID=new-esp ro\n');
});

test('efibootmgr -v: entries with their partition UUIDs, BootOrder, BootNext', () => {
  const out = [
    'BootCurrent: 0002',
    'BootNext: 0004',
    'Timeout: 0 seconds',
    'BootOrder: 0002,0001,0000',
    'Boot0000* UiApp\tFvVol(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)/FvFile(462caa21-7614-4503-836e-8ab6f4662331)',
    'Boot0001* UEFI QEMU NVMe Ctrl nucmesh-test-disk 1\tPciRoot(0x0)/Pci(0x3,0x0)/NVMe(0x1,00-00-00-00-00-00-00-00)',
    'Boot0004* nucmesh\tHD(1,GPT,6574a8af-7795-4395-a035-eca44081daa0,0x800,0x80000)/File(\\EFI\\BOOT\\BOOTX64.EFI)',
  ].join('\n');
  const v = parseEfibootmgr(out);
  assert.deepEqual([v.current, v.next, v.order], ['0002', '0004', ['0002', '0001', '0000']]);
  assert.equal(entryForPartition(v, '6574A8AF-7795-4395-A035-ECA44081DAA0')?.num, '0004');
  assert.equal(entryForPartition(v, 'nothing'), undefined);
  assert.equal(v.entries.find((e) => e.num === '0004')?.label, 'nucmesh');
  assert.deepEqual(orderWithFirst(v.order, '0001'), ['0001', '0002', '0000']);
});

test('progress in percent and MB/s; the outcome in large letters', () => {
  assert.equal(
    describeProgress({ phase: 'write', done: 380e6, total: 900e6, rate: 61.25e6 }),
    'writing 42% (380 of 900 MB, 61.3 MB/s)',
  );
  assert.equal(describeProgress({ phase: 'partition', done: 0, total: 0, rate: 0 }), 'writing the partition table');
  const big = bigText('ok');
  assert.equal(big.length, 5);
  assert.equal(big[0], ' ###  #   #');
});
