/** `lsblk -J -b -o LSBLK_COLUMNS` text to DiskFacts (pure; the by-id names are added by the reader). */
import type { DiskFacts, PartitionFacts } from './disks.js';

export const LSBLK_COLUMNS =
  'NAME,PATH,SIZE,TYPE,TRAN,RM,HOTPLUG,RO,PTTYPE,FSTYPE,PARTLABEL,PARTUUID,PARTTYPE,MODEL,SERIAL';

interface LsblkDevice {
  name?: string;
  path?: string;
  size?: number | string;
  type?: string;
  tran?: string | null;
  rm?: boolean | string | number;
  hotplug?: boolean | string | number;
  ro?: boolean | string | number;
  pttype?: string | null;
  fstype?: string | null;
  partlabel?: string | null;
  partuuid?: string | null;
  parttype?: string | null;
  model?: string | null;
  serial?: string | null;
  children?: LsblkDevice[];
}

/** lsblk writes booleans as true/false (util-linux ≥ 2.37) or "0"/"1" (older). */
function flag(v: boolean | string | number | undefined): boolean {
  return v === true || v === '1' || v === 1;
}

function text(v: string | null | undefined): string | null {
  const t = v?.trim();
  return t ? t : null;
}

function partition(p: LsblkDevice): PartitionFacts {
  return {
    name: p.name ?? '',
    path: p.path ?? `/dev/${p.name ?? ''}`,
    sizeBytes: Number(p.size ?? 0),
    fstype: text(p.fstype),
    partlabel: text(p.partlabel),
    partuuid: text(p.partuuid)?.toLowerCase() ?? null,
    parttype: text(p.parttype)?.toLowerCase() ?? null,
  };
}

/** The whole disks (TYPE disk) and their partitions. */
export function parseLsblk(json: string): DiskFacts[] {
  const doc = JSON.parse(json) as { blockdevices?: LsblkDevice[] };
  return (doc.blockdevices ?? [])
    .filter((d) => d.type === 'disk' && d.name)
    .map((d) => ({
      name: d.name as string,
      path: d.path ?? `/dev/${d.name as string}`,
      sizeBytes: Number(d.size ?? 0),
      transport: text(d.tran),
      removable: flag(d.rm),
      hotplug: flag(d.hotplug),
      readOnly: flag(d.ro),
      pttype: text(d.pttype),
      fstype: text(d.fstype),
      model: text(d.model),
      serial: text(d.serial),
      byId: [],
      partitions: (d.children ?? []).filter((c) => c.type === 'part').map(partition),
    }));
}
