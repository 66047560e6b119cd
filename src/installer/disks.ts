/**
 * The disks of this machine as the installer sees them (from `lsblk -J -b`), and which of them
 * may receive nucmesh: not the disk the system booted from, not removable, at least 8 GiB; NVMe
 * before SATA before eMMC (never an eMMC boot or RPMB partition), then the largest.
 * Pure functions of the facts; the live reader is facts.ts.
 */

export interface PartitionFacts {
  name: string;
  path: string;
  sizeBytes: number;
  fstype: string | null;
  partlabel: string | null;
  partuuid: string | null;
  parttype: string | null;
}

export interface DiskFacts {
  name: string;
  path: string;
  sizeBytes: number;
  /** lsblk's TRAN: nvme, sata, usb, mmc, virtio, … (null when lsblk does not say). */
  transport: string | null;
  removable: boolean;
  hotplug: boolean;
  readOnly: boolean;
  /** Partition table type on the disk (gpt, dos), null when none. */
  pttype: string | null;
  /** A file system or other signature on the whole disk, null when none. */
  fstype: string | null;
  model: string | null;
  serial: string | null;
  /** Names under /dev/disk/by-id/ that point at this disk. */
  byId: string[];
  partitions: PartitionFacts[];
}

export const MIN_TARGET_BYTES = 8 * 1024 ** 3;

/** eMMC boot and RPMB areas look like disks to lsblk; they never receive anything. */
export function isEmmcSpecialArea(name: string): boolean {
  return /^mmcblk\d+(boot\d+|rpmb)$/.test(name);
}

/** Why a disk cannot receive nucmesh, or undefined when it can. */
export function ineligibility(disk: DiskFacts, bootDisk: string | undefined): string | undefined {
  if (disk.name === bootDisk) return 'it is the disk this system booted from';
  if (isEmmcSpecialArea(disk.name)) return 'it is an eMMC boot or RPMB area';
  if (/^(loop|ram|zram|sr|fd|nbd|md|dm-)/.test(disk.name)) return 'it is not a physical disk';
  // Not lsblk's HOTPLUG: PCIe root ports that can hot-plug mark a soldered-in NVMe disk so too.
  if (disk.removable || disk.transport === 'usb') return 'it is removable (USB or a removable medium)';
  if (disk.readOnly) return 'it is read-only';
  if (disk.sizeBytes < MIN_TARGET_BYTES)
    return `it is smaller than 8 GiB (${(disk.sizeBytes / 1024 ** 3).toFixed(1)} GiB)`;
  return undefined;
}

/** NVMe 0, SATA 1, eMMC 2, anything else (virtio, SCSI, …) 3. */
export function transportRank(disk: Pick<DiskFacts, 'transport' | 'name'>): number {
  const t = disk.transport ?? '';
  if (t === 'nvme' || disk.name.startsWith('nvme')) return 0;
  if (t === 'sata' || t === 'ata') return 1;
  if (t === 'mmc' || disk.name.startsWith('mmcblk')) return 2;
  return 3;
}

/** The disks that may receive nucmesh, best first. */
export function eligibleTargets(disks: readonly DiskFacts[], bootDisk: string | undefined): DiskFacts[] {
  return disks
    .filter((d) => ineligibility(d, bootDisk) === undefined)
    .sort((a, b) => transportRank(a) - transportRank(b) || b.sizeBytes - a.sizeBytes || a.name.localeCompare(b.name));
}

/** The disk a `/dev/disk/by-id/` name (with or without the directory) points at. */
export function diskByIdName(disks: readonly DiskFacts[], name: string): DiskFacts | undefined {
  const bare = name.replace(/^\/dev\/disk\/by-id\//, '');
  return disks.find((d) => d.byId.includes(bare));
}

/** One line for logs and --dry-run: `/dev/nvme0n1 (nvme, 10.0 GiB, QEMU NVMe Ctrl)`. */
export function describeDisk(d: DiskFacts): string {
  const model = [d.model, d.serial].filter(Boolean).join(' ');
  return `${d.path} (${d.transport ?? 'unknown transport'}, ${(d.sizeBytes / 1024 ** 3).toFixed(1)} GiB${model ? `, ${model}` : ''})`;
}
