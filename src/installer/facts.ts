/**
 * Thin readers of the live machine for the installer: the live-mode file the initramfs writes,
 * the disks (lsblk, /dev/disk/by-id), what is on each (its second sector, wipefs), the stick's
 * partition table (sfdisk -J). The decisions are in disks.ts, disk-content.ts and decide.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NucmeshError } from '../errors.js';
import { classifyDisk, type DiskContent } from './disk-content.js';
import type { DiskFacts } from './disks.js';
import { LSBLK_COLUMNS, parseLsblk } from './lsblk.js';
import { parseSfdiskJson, planLayout, type InstallLayout, type NewIds } from './layout.js';
import type { RunTool } from './run-tool.js';
import type { InstallIo } from './install.js';

/** Written by the initramfs (image/base/etc/initramfs-tools/scripts/local-bottom/nucmesh-live). */
export const LIVE_ENV = '/run/nucmesh/live.env';

export interface LiveMode {
  /** The stick's root partition, e.g. /dev/sda2. */
  root: string;
  /** usb, removable or cmdline. */
  reason: string;
}

/** `NUCMESH_LIVE_ROOT=/dev/sda2` lines to LiveMode, or undefined. */
export function parseLiveEnv(text: string): LiveMode | undefined {
  const vars = Object.fromEntries(
    text
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  const root = vars['NUCMESH_LIVE_ROOT'];
  return root ? { root, reason: vars['NUCMESH_LIVE_REASON'] || 'usb' } : undefined;
}

export async function readLiveMode(file = LIVE_ENV): Promise<LiveMode | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseLiveEnv(text);
}

export async function readDisks(run: RunTool, byIdDir = '/dev/disk/by-id'): Promise<DiskFacts[]> {
  const disks = parseLsblk((await run('lsblk', ['-J', '-b', '-o', LSBLK_COLUMNS])).stdout);
  const names = await fs.readdir(byIdDir).catch(() => [] as string[]);
  for (const n of names) {
    const target = await fs.realpath(path.join(byIdDir, n)).catch(() => undefined);
    const disk = disks.find((d) => d.path === target);
    if (disk) disk.byId.push(n);
  }
  return disks;
}

/** The disk holding partition (or disk) `device`, e.g. sda for /dev/sda2. */
export function diskHolding(disks: readonly DiskFacts[], device: string): DiskFacts | undefined {
  return disks.find((d) => d.path === device || d.partitions.some((p) => p.path === device));
}

export async function logicalSectorSize(disk: Pick<DiskFacts, 'name'>): Promise<number> {
  const t = await fs.readFile(`/sys/block/${disk.name}/queue/logical_block_size`, 'utf8').catch(() => '512');
  return Number(t.trim()) || 512;
}

/** The second logical sector of a disk (where the GPT header, or our marker, is). */
export async function readLba1(device: string, sectorSize: number): Promise<Buffer> {
  const fh = await fs.open(device, 'r');
  try {
    const buf = Buffer.alloc(sectorSize);
    await fh.read(buf, 0, sectorSize, sectorSize);
    return buf;
  } finally {
    await fh.close();
  }
}

/** The signature types wipefs finds on the whole device (without erasing anything). */
export async function readSignatures(run: RunTool, device: string): Promise<string[]> {
  const out = (await run('wipefs', ['--no-act', '--json', device])).stdout.trim();
  if (!out) return [];
  const doc = JSON.parse(out) as { signatures?: { type?: string }[] };
  return (doc.signatures ?? []).map((s) => s.type ?? 'unknown');
}

export async function readContent(run: RunTool, disk: DiskFacts): Promise<DiskContent> {
  const sector = await logicalSectorSize(disk);
  return classifyDisk(disk, await readLba1(disk.path, sector), await readSignatures(run, disk.path));
}

/** Fresh IDs for an installed copy. */
export function newIds(): NewIds {
  return {
    diskId: randomUUID(),
    espPartUuid: randomUUID(),
    rootPartUuid: randomUUID(),
    rootFsUuid: randomUUID(),
    espVolumeId: randomBytes(4).toString('hex').toUpperCase(),
  };
}

/** The layout of `target` from the stick's partition table. */
export async function readLayout(
  run: RunTool,
  stick: string,
  target: { sizeBytes: number; sectorSize: number },
  ids: NewIds = newIds(),
): Promise<InstallLayout> {
  let json: string;
  try {
    json = (await run('sfdisk', ['-J', stick])).stdout;
  } catch (err) {
    throw new NucmeshError('E_INSTALL_SOURCE', `cannot read the partition table of ${stick}`, { cause: err });
  }
  try {
    return planLayout(parseSfdiskJson(json), target, ids);
  } catch (err) {
    throw new NucmeshError('E_INSTALL_SOURCE', (err as Error).message, { cause: err });
  }
}

/** The machine's own: blockdev for block devices, nothing for image files. */
export function liveInstallIo(run: RunTool): InstallIo {
  const isBlock = async (f: string) => (await fs.stat(f)).isBlockDevice();
  return {
    run,
    async dropCache(target) {
      if (await isBlock(target)) await run('blockdev', ['--flushbufs', target]);
    },
    async rereadPartitions(target) {
      if (!(await isBlock(target))) return;
      await run('blockdev', ['--rereadpt', target]).catch(() => run('partx', ['-u', target]));
      await run('udevadm', ['settle', '--timeout=20']).catch(() => undefined);
    },
  };
}

/** Whether this machine booted through UEFI (efivarfs there): only then are boot entries written. */
export async function bootedWithUefi(): Promise<boolean> {
  return fs.access('/sys/firmware/efi/efivars').then(
    () => true,
    () => false,
  );
}
