/**
 * The installed disk's layout, from the stick's partition table (`sfdisk -J`): the same two
 * partitions at the same byte offsets (so their bytes are copied as they are), the root
 * partition reaching to the end of the disk, and new GUIDs everywhere (disk, partitions, file
 * systems): a stick left plugged in is never taken for the installed root. Pure.
 */
import { ESP_PARTLABEL, ROOT_PARTLABEL } from './disk-content.js';

export const ESP_TYPE = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
export const ROOT_X86_64_TYPE = '4f68bce3-e8cd-4db1-96e7-fbcaf984b709';

export interface SfdiskPartition {
  node: string;
  start: number;
  size: number;
  type: string;
  uuid?: string;
  name?: string;
}

export interface SfdiskTable {
  label: string;
  id: string;
  device: string;
  sectorsize?: number;
  partitions: SfdiskPartition[];
}

export function parseSfdiskJson(json: string): SfdiskTable {
  const t = (JSON.parse(json) as { partitiontable?: SfdiskTable }).partitiontable;
  if (!t || !Array.isArray(t.partitions)) throw new Error('sfdisk -J: no partition table');
  return {
    ...t,
    partitions: t.partitions.map((p) => ({ ...p, type: p.type.toLowerCase(), uuid: p.uuid?.toLowerCase() })),
  };
}

/** A byte range of the stick copied to the same offset of the target. */
export interface CopyRange {
  what: 'esp' | 'root';
  offset: number;
  length: number;
}

export interface NewIds {
  diskId: string;
  espPartUuid: string;
  rootPartUuid: string;
  /** ext4 UUID of the root file system. */
  rootFsUuid: string;
  /** FAT volume serial of the ESP, 8 hex digits. */
  espVolumeId: string;
}

export interface InstallLayout {
  ranges: CopyRange[];
  /** The stick's partition UUIDs, as its boot entries name them. */
  source: { diskId: string; espPartUuid: string; rootPartUuid: string };
  ids: NewIds;
  /** The target's GPT, as sfdisk script (written last). */
  sfdiskScript: string;
  /** Bytes the target must have at least. */
  minTargetBytes: number;
}

/** 1 MiB kept free at the end for the backup GPT (and alignment). */
const TAIL_BYTES = 1024 * 1024;

export function planLayout(
  stick: SfdiskTable,
  target: { sizeBytes: number; sectorSize: number },
  ids: NewIds,
): InstallLayout {
  const sector = stick.sectorsize ?? 512;
  const esp = stick.partitions.find((p) => p.type === ESP_TYPE);
  const root = stick.partitions.find((p) => p.type === ROOT_X86_64_TYPE);
  if (stick.label !== 'gpt' || !esp || !root)
    throw new Error(`${stick.device} is not a nucmesh disk (GPT with an EFI and a root partition)`);
  const ranges: CopyRange[] = [
    { what: 'esp', offset: esp.start * sector, length: esp.size * sector },
    { what: 'root', offset: root.start * sector, length: root.size * sector },
  ];
  const ts = target.sectorSize;
  for (const r of ranges)
    if (r.offset % ts || r.length % ts)
      throw new Error(`the ${r.what} partition is not aligned to the target's ${ts}-byte sectors`);
  const rootEnd = root.start * sector + root.size * sector;
  const minTargetBytes = rootEnd + TAIL_BYTES;
  const lines = [
    'label: gpt',
    `label-id: ${ids.diskId}`,
    `start=${(esp.start * sector) / ts}, size=${(esp.size * sector) / ts}, type=${ESP_TYPE}, uuid=${ids.espPartUuid}, name=${ESP_PARTLABEL}`,
    // No size: the root partition takes the rest of the disk (its file system grows at first boot).
    `start=${(root.start * sector) / ts}, type=${ROOT_X86_64_TYPE}, uuid=${ids.rootPartUuid}, name=${ROOT_PARTLABEL}`,
  ];
  return {
    ranges,
    source: { diskId: stick.id.toLowerCase(), espPartUuid: esp.uuid ?? '', rootPartUuid: root.uuid ?? '' },
    ids,
    sfdiskScript: `${lines.join('\n')}\n`,
    minTargetBytes,
  };
}

/** Boot entries' text (systemd-boot entry, GRUB config) with the stick's partition UUIDs replaced by the new ones. */
export function retargetBootConfig(text: string, layout: Pick<InstallLayout, 'source' | 'ids'>): string {
  const swap: [string, string][] = [
    [layout.source.espPartUuid, layout.ids.espPartUuid],
    [layout.source.rootPartUuid, layout.ids.rootPartUuid],
  ];
  let out = text;
  for (const [from, to] of swap) if (from) out = out.replace(new RegExp(from, 'gi'), to);
  return out;
}

/** Files on the ESP that name partitions (present ones are rewritten). */
export const BOOT_CONFIG_FILES = ['/loader/entries/nucmesh.conf', '/EFI/debian/grub.cfg', '/EFI/BOOT/grub.cfg'];
