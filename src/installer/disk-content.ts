/**
 * What is on a candidate disk, from its signatures: nothing (blank), an install of ours that was
 * cut off (the marker in place of the GPT header), a finished nucmesh install (a GPT with the
 * nucmesh-esp and nucmesh-root partitions), or somebody's data (any other partition table or
 * signature). Pure; `wipefs --no-act` and the first sectors are read by facts.ts.
 */
import type { DiskFacts } from './disks.js';
import { parseMarker, type InstallMarker } from './marker.js';

export const ESP_PARTLABEL = 'nucmesh-esp';
export const ROOT_PARTLABEL = 'nucmesh-root';

export type DiskContent =
  | { kind: 'blank' }
  | { kind: 'interrupted'; marker: InstallMarker }
  | { kind: 'installed'; espPartUuid: string }
  | { kind: 'foreign'; signatures: string[] };

/**
 * `lba1`: the disk's second logical sector; `signatures`: the types wipefs finds on the whole
 * disk (e.g. "gpt", "PMBR", "ext4").
 */
export function classifyDisk(disk: DiskFacts, lba1: Buffer, signatures: readonly string[]): DiskContent {
  const marker = parseMarker(lba1);
  if (marker) return { kind: 'interrupted', marker };
  const esp = disk.partitions.find((p) => p.partlabel === ESP_PARTLABEL);
  const root = disk.partitions.find((p) => p.partlabel === ROOT_PARTLABEL);
  if (disk.pttype === 'gpt' && esp?.partuuid && root) return { kind: 'installed', espPartUuid: esp.partuuid };
  const found = new Set<string>(signatures);
  if (disk.pttype) found.add(`${disk.pttype} partition table`);
  if (disk.fstype) found.add(disk.fstype);
  for (const p of disk.partitions) found.add(`partition ${p.name}${p.fstype ? ` (${p.fstype})` : ''}`);
  return found.size === 0 ? { kind: 'blank' } : { kind: 'foreign', signatures: [...found] };
}

export function describeContent(c: DiskContent): string {
  switch (c.kind) {
    case 'blank':
      return 'blank';
    case 'interrupted':
      return `an interrupted nucmesh install (started ${c.marker.started || 'at an unknown time'} by ${c.marker.version})`;
    case 'installed':
      return 'nucmesh installed';
    case 'foreign':
      return `not blank: ${c.signatures.join(', ')}`;
  }
}
