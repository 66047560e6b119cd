import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyDisk } from '../../../src/installer/disk-content.js';
import { encodeMarker, parseMarker } from '../../../src/installer/marker.js';
import { parseLsblk } from '../../../src/installer/lsblk.js';

const lsblk = JSON.stringify({
  blockdevices: [
    {
      name: 'sda',
      path: '/dev/sda',
      size: 1131413504,
      type: 'disk',
      tran: 'usb',
      rm: true,
      hotplug: true,
      ro: false,
      pttype: 'gpt',
      fstype: null,
      model: 'QEMU HARDDISK',
      serial: '1-0000:00:02.0-1',
      children: [
        {
          name: 'sda1',
          path: '/dev/sda1',
          size: 268435456,
          type: 'part',
          fstype: 'vfat',
          partlabel: 'nucmesh-esp',
          partuuid: 'AAAAAAAA-0000-4000-8000-000000000001',
          parttype: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b',
        },
        {
          name: 'sda2',
          path: '/dev/sda2',
          size: 860000000,
          type: 'part',
          fstype: 'ext4',
          partlabel: 'nucmesh-root',
          partuuid: 'aaaaaaaa-0000-4000-8000-000000000002',
        },
      ],
    },
    {
      name: 'nvme0n1',
      path: '/dev/nvme0n1',
      size: 10737418240,
      type: 'disk',
      tran: 'nvme',
      rm: '0',
      hotplug: '0',
      ro: '0',
      pttype: null,
      fstype: null,
    },
    { name: 'sr0', type: 'rom', size: 1024 },
  ],
});
const zeros = Buffer.alloc(512);

test('lsblk: whole disks with their partitions, booleans in either form, lower-case UUIDs', () => {
  const disks = parseLsblk(lsblk);
  assert.deepEqual(
    disks.map((d) => [d.name, d.transport, d.removable, d.partitions.length]),
    [
      ['sda', 'usb', true, 2],
      ['nvme0n1', 'nvme', false, 0],
    ],
  );
  assert.equal(disks[0]?.partitions[0]?.partuuid, 'aaaaaaaa-0000-4000-8000-000000000001');
});

test('blank, installed, somebody else’s, and an interrupted install of ours', () => {
  const [sda, nvme] = parseLsblk(lsblk);
  assert.ok(sda && nvme);
  assert.deepEqual(classifyDisk(nvme, zeros, []), { kind: 'blank' });
  assert.deepEqual(classifyDisk(sda, zeros, ['gpt', 'PMBR']), {
    kind: 'installed',
    espPartUuid: 'aaaaaaaa-0000-4000-8000-000000000001',
  });
  const ntfs = classifyDisk(
    {
      ...nvme,
      pttype: 'dos',
      partitions: [{ ...sda.partitions[0]!, name: 'nvme0n1p1', partlabel: null, fstype: 'ntfs' }],
    },
    zeros,
    ['dos'],
  );
  assert.equal(ntfs.kind, 'foreign');
  assert.match(JSON.stringify(ntfs), /nvme0n1p1 \(ntfs\)/);
  assert.equal(classifyDisk(nvme, zeros, ['iso9660']).kind, 'foreign', 'a signature wipefs finds is enough');
  const marker = encodeMarker({ version: '0.1.0', started: '2026-12-01T00:00:00Z', sourceDiskId: 'd' }, 512);
  assert.deepEqual(classifyDisk(nvme, marker, []), { kind: 'interrupted', marker: parseMarker(marker) });
});

test('the marker: one sector, read back as written; a GPT header or a near miss is no marker', () => {
  const m = { version: '0.1.0', started: '2026-12-01T00:00:00Z', sourceDiskId: 'abc' };
  const s = encodeMarker(m, 4096);
  assert.equal(s.length, 4096);
  assert.deepEqual(parseMarker(s), m);
  const gpt = Buffer.alloc(512);
  gpt.write('EFI PART');
  assert.equal(parseMarker(gpt), undefined);
  const near = Buffer.from(s);
  near[3] = 0x78;
  assert.equal(parseMarker(near), undefined);
});
