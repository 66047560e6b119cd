/**
 * One installer run from the facts of the live machine: what to do (decide.ts) and doing it.
 * Used by the agent on a stick that booted (installer mode) and by `nucmesh install`.
 */
import type { InstallConfig } from '../config/fleet-schema.js';
import { NucmeshError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DiskContent } from './disk-content.js';
import { describeDisk, type DiskFacts } from './disks.js';
import { decideInstall, type InstallDecision } from './decide.js';
import { diskHolding, liveInstallIo, logicalSectorSize, readContent, readDisks, readLayout } from './facts.js';
import { ensureBootEntry, runInstall, type InstallJob, type InstallResult } from './install.js';
import type { InstallProgress } from './progress.js';
import type { RunTool } from './run-tool.js';

export interface InstallFactsRead {
  disks: DiskFacts[];
  stick: DiskFacts;
  contents: Map<string, DiskContent>;
}

/** The disks, the stick (the disk holding `bootDevice`), and what is on every other disk. */
export async function readInstallFacts(run: RunTool, bootDevice: string): Promise<InstallFactsRead> {
  const disks = await readDisks(run);
  const stick = diskHolding(disks, bootDevice);
  if (!stick)
    throw new NucmeshError('E_INSTALL_SOURCE', `no disk holds ${bootDevice}, the device this system booted from`);
  const contents = new Map<string, DiskContent>();
  for (const d of disks) {
    if (d.name === stick.name) continue;
    contents.set(
      d.name,
      await readContent(run, d).catch(() => ({ kind: 'foreign', signatures: ['unreadable'] }) as const),
    );
  }
  return { disks, stick, contents };
}

export function decideFrom(
  config: Pick<InstallConfig, 'mode' | 'target' | 'wipe'>,
  f: InstallFactsRead,
): InstallDecision {
  return decideInstall(config, {
    disks: f.disks,
    bootDisk: f.stick.name,
    content: (d) => f.contents.get(d.name) ?? { kind: 'foreign', signatures: ['unknown'] },
  });
}

export async function jobFor(
  run: RunTool,
  stick: DiskFacts,
  target: DiskFacts,
  version: string,
  bootEntry: boolean,
): Promise<InstallJob> {
  const sectorSize = await logicalSectorSize(target);
  const layout = await readLayout(run, stick.path, { sizeBytes: target.sizeBytes, sectorSize });
  return {
    source: stick.path,
    target: target.path,
    targetSizeBytes: target.sizeBytes,
    targetSectorSize: sectorSize,
    layout,
    version,
    bootEntry,
  };
}

export type InstallOutcome =
  | { kind: 'installed'; target: DiskFacts; result: InstallResult }
  | { kind: 'boot-installed'; target: DiskFacts; bootEntry?: string }
  | { kind: 'refused'; reason: string }
  | { kind: 'run-live'; reason: string };

export interface CarryOut {
  run: RunTool;
  log: Logger;
  version: string;
  /** Write EFI boot entries (the machine booted through UEFI). */
  uefi: boolean;
  onProgress?: (p: InstallProgress) => void;
}

/** Does what the decision says (for install and boot-installed: writes; the others: nothing). */
export async function carryOut(decision: InstallDecision, f: InstallFactsRead, o: CarryOut): Promise<InstallOutcome> {
  switch (decision.action) {
    case 'run-live':
      return { kind: 'run-live', reason: decision.reason };
    case 'refuse':
      return { kind: 'refused', reason: decision.reason };
    case 'boot-installed': {
      o.log.info(
        { target: decision.target.path },
        `install: ${describeDisk(decision.target)} has nucmesh installed; left alone, booting it`,
      );
      const out: InstallOutcome = { kind: 'boot-installed', target: decision.target };
      if (o.uefi) out.bootEntry = await ensureBootEntry(o.run, decision.target.path, decision.espPartUuid);
      return out;
    }
    case 'install': {
      o.log.info({ target: decision.target.path, source: f.stick.path }, `install: ${decision.why}`);
      const job = await jobFor(o.run, f.stick, decision.target, o.version, o.uefi);
      const result = await runInstall(job, liveInstallIo(o.run), o.log, o.onProgress);
      return { kind: 'installed', target: decision.target, result };
    }
  }
}
