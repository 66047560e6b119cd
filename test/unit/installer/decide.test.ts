import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideInstall } from '../../../src/installer/decide.js';
import { eligibleTargets, ineligibility, type DiskFacts } from '../../../src/installer/disks.js';
import type { DiskContent } from '../../../src/installer/disk-content.js';

const GiB = 1024 ** 3;
function disk(name: string, o: Partial<DiskFacts> = {}): DiskFacts {
  return {
    name,
    path: `/dev/${name}`,
    sizeBytes: 256 * GiB,
    transport: name.startsWith('nvme') ? 'nvme' : name.startsWith('mmc') ? 'mmc' : 'sata',
    removable: false,
    hotplug: false,
    readOnly: false,
    pttype: null,
    fstype: null,
    model: null,
    serial: null,
    byId: [],
    partitions: [],
    ...o,
  };
}
const stick = disk('sda', { transport: 'usb', removable: true, sizeBytes: 16 * GiB });
const defaults = { mode: 'auto', wipe: 'blank-only' } as const;
const blank: DiskContent = { kind: 'blank' };
const facts = (disks: DiskFacts[], contents: Record<string, DiskContent> = {}) => ({
  disks,
  bootDisk: 'sda',
  content: (d: DiskFacts) => contents[d.name] ?? blank,
});

test('eligible: not the boot disk, not removable, at least 8 GiB, no eMMC boot areas', () => {
  assert.match(ineligibility(stick, 'sda') ?? '', /booted from/);
  assert.match(ineligibility(disk('sdb', { transport: 'usb' }), 'sda') ?? '', /removable/);
  assert.match(ineligibility(disk('sdb', { removable: true }), 'sda') ?? '', /removable/);
  assert.equal(
    ineligibility(disk('nvme0n1', { hotplug: true }), 'sda'),
    undefined,
    'a hot-plug capable slot is internal',
  );
  assert.match(ineligibility(disk('nvme0n1', { sizeBytes: 4 * GiB }), 'sda') ?? '', /smaller than 8 GiB/);
  assert.match(ineligibility(disk('mmcblk0boot0'), 'sda') ?? '', /eMMC boot/);
  assert.match(ineligibility(disk('mmcblk0rpmb'), 'sda') ?? '', /eMMC boot/);
  assert.equal(ineligibility(disk('nvme0n1', { sizeBytes: 8 * GiB }), 'sda'), undefined);
});

test('NVMe before SATA before eMMC, then the largest', () => {
  const disks = [
    stick,
    disk('mmcblk0', { sizeBytes: 1024 * GiB }),
    disk('sdb', { sizeBytes: 2048 * GiB }),
    disk('nvme1n1', { sizeBytes: 128 * GiB }),
    disk('nvme0n1', { sizeBytes: 512 * GiB }),
    disk('mmcblk0boot0'),
  ];
  assert.deepEqual(
    eligibleTargets(disks, 'sda').map((d) => d.name),
    ['nvme0n1', 'nvme1n1', 'sdb', 'mmcblk0'],
  );
});

test('a blank disk is installed onto; nothing eligible or mode never runs from the stick', () => {
  const d = decideInstall(defaults, facts([stick, disk('sdb'), disk('nvme0n1')]));
  assert.equal(d.action, 'install');
  assert.equal(d.action === 'install' && d.target.name, 'nvme0n1');
  assert.equal(decideInstall(defaults, facts([stick])).action, 'run-live');
  assert.equal(decideInstall({ ...defaults, mode: 'never' }, facts([stick, disk('nvme0n1')])).action, 'run-live');
});

test('a disk that is not blank is refused with blank-only (naming the setting) and written with always', () => {
  const foreign: DiskContent = { kind: 'foreign', signatures: ['gpt partition table', 'partition nvme0n1p1 (ntfs)'] };
  const f = facts([stick, disk('nvme0n1')], { nvme0n1: foreign });
  const refused = decideInstall(defaults, f);
  assert.equal(refused.action, 'refuse');
  assert.match(refused.action === 'refuse' ? refused.reason : '', /ntfs.*left untouched.*wipe: always/);
  assert.equal(decideInstall({ ...defaults, wipe: 'always' }, f).action, 'install');
});

test('an interrupted install of ours is redone even with blank-only; an installed disk is booted, not rewritten', () => {
  const interrupted: DiskContent = {
    kind: 'interrupted',
    marker: { version: '0.1.0', started: 'x', sourceDiskId: 'y' },
  };
  const d = decideInstall(defaults, facts([stick, disk('nvme0n1'), disk('sdb')], { sdb: interrupted }));
  assert.equal(
    d.action === 'install' && d.target.name,
    'sdb',
    'the disk with our cut install, not the better blank one',
  );
  const installed: DiskContent = { kind: 'installed', espPartUuid: 'e' };
  const b = decideInstall(
    { ...defaults, wipe: 'always' },
    facts([stick, disk('nvme0n1'), disk('sdb')], { sdb: installed }),
  );
  assert.deepEqual(b.action === 'boot-installed' && [b.target.name, b.espPartUuid], ['sdb', 'e']);
});

test('install.target pins the disk by its by-id name; a missing or ineligible one is refused', () => {
  const sdb = disk('sdb', { byId: ['ata-Samsung_SSD_870_S5Y1'] });
  const f = facts([stick, disk('nvme0n1'), sdb]);
  const d = decideInstall({ ...defaults, target: '/dev/disk/by-id/ata-Samsung_SSD_870_S5Y1' }, f);
  assert.equal(d.action === 'install' && d.target.name, 'sdb');
  const missing = decideInstall({ ...defaults, target: 'nvme-nothing' }, f);
  assert.match(missing.action === 'refuse' ? missing.reason : '', /not attached/);
  const own = decideInstall({ ...defaults, target: 'usb-stick' }, facts([{ ...stick, byId: ['usb-stick'] }, sdb]));
  assert.match(own.action === 'refuse' ? own.reason : '', /booted from/);
});
