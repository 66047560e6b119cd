/** `lsblk -J -b -O` → whole disks (no partitions, loop, zram, ram or optical devices). Pure; never throws. */
import type { DiskInfo, DiskTransport } from '../types.js';
import { clean, toBool, toInt } from '../clean.js';
import { isRecord, tryParseJson } from './json.js';

/** Devices that are not storage hardware. */
const PSEUDO_DISK = /^(loop|zram|ram|sr|fd|nbd|dm-|md)\d*/;

export function diskTransport(name: string, tran: string | null, subsystems: string | null): DiskTransport {
  const t = (tran ?? '').toLowerCase();
  if (t === 'nvme' || name.startsWith('nvme')) return 'nvme';
  if (t === 'usb') return 'usb';
  if (t === 'sata' || t === 'ata' || t === 'sas') return 'sata';
  if (t === 'mmc' || name.startsWith('mmcblk') || /(^|:)mmc/.test(subsystems ?? '')) return 'mmc';
  if (/virtio/.test(subsystems ?? '') || /^vd[a-z]/.test(name)) return 'virtio';
  if (t === 'scsi' || t === 'iscsi' || t === 'fc') return 'scsi';
  return 'unknown';
}

export function parseLsblk(text: string): DiskInfo[] {
  const doc = tryParseJson(text);
  const devices = isRecord(doc) && Array.isArray(doc['blockdevices']) ? doc['blockdevices'] : [];
  const disks: DiskInfo[] = [];
  for (const d of devices) {
    if (!isRecord(d)) continue;
    const name = typeof d['name'] === 'string' ? d['name'].trim() : '';
    if (!name || d['type'] !== 'disk' || PSEUDO_DISK.test(name)) continue;
    const sizeBytes = toInt(d['size']);
    disks.push({
      name,
      sizeBytes: sizeBytes && sizeBytes > 0 ? sizeBytes : null,
      transport: diskTransport(name, clean(d['tran']), typeof d['subsystems'] === 'string' ? d['subsystems'] : null),
      rotational: toBool(d['rota']),
      removable: toBool(d['rm']),
      model: clean(d['model']),
      serial: clean(d['serial']),
    });
  }
  return disks;
}
