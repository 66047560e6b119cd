/**
 * The install itself, in the order that makes a power cut harmless:
 *
 * 1. prepare: the first and last MiB of the target are zeroed (no partition table, no
 *    signature at the disk's edges) and the install marker goes where the GPT header belongs:
 *    nothing boots the disk from now on until step 5, and the stick recognises it as its own.
 * 2. write: the stick's EFI and root partitions, byte for byte, at the same offsets; fsync.
 * 3. verify: the target's page cache dropped, both read back and compared by SHA-256.
 * 4. identity: the copies get their own UUIDs (ext4 UUID with tune2fs, the FAT volume ID with
 *    mlabel, the boot entries' root= and nucmesh.esp= rewritten with mtools), checked by reading
 *    them back.
 * 5. partition: the GPT (new disk GUID and partition UUIDs, root to the end of the disk) is
 *    written last, over the marker, and read back.
 * 6. boot entry: an EFI entry for the internal disk first in BootOrder, and BootNext.
 *
 * Every step works on plain files too (no loop devices, no mounts: e2fsprogs' `?offset=` and
 * mtools' `@@offset`), so the whole sequence is tested on image files.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NucmeshError } from '../errors.js';
import type { Logger } from '../log.js';
import { copyRanges, verifyRanges } from './copy.js';
import { encodeMarker } from './marker.js';
import {
  BOOT_CONFIG_FILES,
  parseSfdiskJson,
  retargetBootConfig,
  type CopyRange,
  type InstallLayout,
} from './layout.js';
import { entryForPartition, orderWithFirst, parseEfibootmgr } from './efi-boot.js';
import type { InstallPhase, InstallProgress } from './progress.js';
import type { RunTool } from './run-tool.js';

export const BOOT_ENTRY_LABEL = 'nucmesh';
export const BOOT_LOADER_PATH = '\\EFI\\BOOT\\BOOTX64.EFI';

export interface InstallJob {
  /** The stick (whole disk). */
  source: string;
  /** The disk to install onto (whole disk), or an image file. */
  target: string;
  targetSizeBytes: number;
  targetSectorSize: number;
  layout: InstallLayout;
  version: string;
  /** Add the EFI boot entry (only on a machine booted through UEFI). */
  bootEntry: boolean;
}

export interface InstallIo {
  run: RunTool;
  /** Drop the target's cached pages so the read-back reads the disk (blockdev --flushbufs). */
  dropCache(target: string): Promise<void>;
  /** Have the kernel read the new partition table (blockdev --rereadpt). */
  rereadPartitions(target: string): Promise<void>;
}

export interface InstallResult {
  bytes: number;
  writeMs: number;
  verifyMs: number;
  sha256: { what: string; sha256: string }[];
  bootEntry?: string;
}

const MIB = 1024 * 1024;

function rangeOf(layout: InstallLayout, what: CopyRange['what']): CopyRange {
  const r = layout.ranges.find((x) => x.what === what);
  if (!r) throw new NucmeshError('E_INSTALL_SOURCE', `the stick has no ${what} partition`);
  return r;
}

export async function runInstall(
  job: InstallJob,
  io: InstallIo,
  log: Logger,
  onProgress: (p: InstallProgress) => void = () => {},
): Promise<InstallResult> {
  const { layout } = job;
  if (job.targetSizeBytes < layout.minTargetBytes)
    throw new NucmeshError(
      'E_INSTALL_TARGET',
      `${job.target} is too small: ${job.targetSizeBytes} bytes, needs ${layout.minTargetBytes}`,
    );
  const phase = (p: InstallPhase, done = 0, total = 0, rate = 0) => onProgress({ phase: p, done, total, rate });
  const bytes = layout.ranges.reduce((n, r) => n + r.length, 0);
  const src = await fs.open(job.source, 'r');
  const dst = await fs.open(job.target, 'r+');
  let writeMs: number;
  let verifyMs: number;
  let sha256: InstallResult['sha256'];
  try {
    // 1. prepare
    phase('prepare');
    // The end first (a backup GPT there would still describe the old disk), then the head with
    // the marker in one write: a cut leaves the disk as it was or marked, never neither.
    const head = Buffer.alloc(MIB);
    await dst.write(head, 0, MIB, job.targetSizeBytes - MIB);
    await dst.sync();
    encodeMarker(
      { version: job.version, started: new Date().toISOString(), sourceDiskId: layout.source.diskId },
      job.targetSectorSize,
    ).copy(head, job.targetSectorSize);
    await dst.write(head, 0, MIB, 0);
    await dst.sync();
    log.info({ target: job.target }, 'install: the target is marked as an install in progress');

    // 2. write
    const rate = (done: number, ms: number) => (ms > 0 ? (done * 1000) / ms : 0);
    writeMs = await copyRanges(src, dst, layout.ranges, (done, total, ms) =>
      phase('write', done, total, rate(done, ms)),
    );
    log.info(
      { bytes, ms: Math.round(writeMs), mbps: +(rate(bytes, writeMs) / 1e6).toFixed(1) },
      'install: payload written',
    );

    // 3. verify
    await io.dropCache(job.target);
    const t0 = performance.now();
    sha256 = await verifyRanges(src, dst, layout.ranges, (done, total, ms) =>
      phase('verify', done, total, rate(done, ms)),
    );
    verifyMs = performance.now() - t0;
    log.info({ sha256, ms: Math.round(verifyMs) }, 'install: read back and verified');
  } finally {
    await src.close();
    await dst.close();
  }

  // 4. identity
  phase('identity');
  await giveIdentity(job, io.run);
  log.info({ ids: layout.ids }, 'install: new disk, partition and file system IDs');

  // 5. partition table, last
  phase('partition');
  await io.run(
    'sfdisk',
    ['--quiet', '--wipe', 'never', '--wipe-partitions', 'never', '--no-reread', '--no-tell-kernel', job.target],
    layout.sfdiskScript,
  );
  await fsyncPath(job.target);
  const written = parseSfdiskJson((await io.run('sfdisk', ['-J', job.target])).stdout);
  const uuids = written.partitions.map((p) => p.uuid);
  if (
    written.id.toLowerCase() !== layout.ids.diskId ||
    uuids[0] !== layout.ids.espPartUuid ||
    uuids[1] !== layout.ids.rootPartUuid
  )
    throw new NucmeshError(
      'E_INSTALL_VERIFY',
      `the partition table read back from ${job.target} is not the one written`,
      {
        data: { written },
      },
    );
  await io.rereadPartitions(job.target);
  log.info({ target: job.target, diskId: layout.ids.diskId }, 'install: partition table written');

  // 6. boot entry
  const result: InstallResult = { bytes, writeMs, verifyMs, sha256 };
  if (job.bootEntry) {
    phase('boot-entry');
    result.bootEntry = await ensureBootEntry(io.run, job.target, layout.ids.espPartUuid);
    log.info({ entry: result.bootEntry }, 'install: EFI boot entry first in BootOrder, and BootNext');
  }
  phase('done');
  return result;
}

async function fsyncPath(file: string): Promise<void> {
  const fh = await fs.open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** New UUIDs in the copies: ext4 (tune2fs), FAT volume ID (mlabel), partition names in the boot entries (mtools). */
async function giveIdentity(job: InstallJob, run: RunTool): Promise<void> {
  const { layout } = job;
  const root = `${job.target}?offset=${rangeOf(layout, 'root').offset}`;
  const esp = `${job.target}@@${rangeOf(layout, 'esp').offset}`;
  await run('tune2fs', ['-U', layout.ids.rootFsUuid, root]);
  const listed = (await run('tune2fs', ['-l', root])).stdout;
  if (!listed.toLowerCase().includes(layout.ids.rootFsUuid))
    throw new NucmeshError('E_INSTALL_VERIFY', 'the root file system does not show its new UUID');
  await run('mlabel', ['-N', layout.ids.espVolumeId, '-i', esp, '::NUCMESH-ESP']);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'nucmesh-install-'));
  try {
    for (const file of BOOT_CONFIG_FILES) {
      const before = await run('mtype', ['-i', esp, `::${file}`]).then(
        (r) => r.stdout,
        () => undefined,
      );
      if (before === undefined) continue;
      const after = retargetBootConfig(before, layout);
      const local = path.join(tmp, 'entry');
      await fs.writeFile(local, after);
      await run('mcopy', ['-o', '-i', esp, local, `::${file}`]);
      if ((await run('mtype', ['-i', esp, `::${file}`])).stdout !== after)
        throw new NucmeshError(
          'E_INSTALL_VERIFY',
          `${file} on the target's EFI partition does not read back as written`,
        );
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * An EFI boot entry for the EFI partition `espPartUuid` of `disk` (added when missing; stale
 * nucmesh entries removed), first in BootOrder, and BootNext. Returns its number.
 */
export async function ensureBootEntry(run: RunTool, disk: string, espPartUuid: string): Promise<string> {
  let vars = parseEfibootmgr((await run('efibootmgr', ['-v'])).stdout);
  for (const e of vars.entries)
    if (e.label === BOOT_ENTRY_LABEL && e.partUuid !== espPartUuid.toLowerCase())
      await run('efibootmgr', ['-q', '-b', e.num, '-B']);
  if (!entryForPartition(vars, espPartUuid)) {
    await run('efibootmgr', ['-q', '-c', '-d', disk, '-p', '1', '-L', BOOT_ENTRY_LABEL, '-l', BOOT_LOADER_PATH]);
  }
  vars = parseEfibootmgr((await run('efibootmgr', ['-v'])).stdout);
  const entry = entryForPartition(vars, espPartUuid);
  if (!entry) throw new NucmeshError('E_INSTALL_TOOL', `efibootmgr made no boot entry for partition ${espPartUuid}`);
  await run('efibootmgr', ['-q', '-o', orderWithFirst(vars.order, entry.num).join(',')]);
  await run('efibootmgr', ['-q', '-n', entry.num]);
  return entry.num;
}
