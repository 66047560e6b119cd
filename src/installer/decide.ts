/**
 * Whether and where to install, from the fleet config's `install` settings and the facts:
 * a pure function, so every case (pinned target, installed already, interrupted, not blank,
 * nothing eligible) is a unit test. Only a blank disk, an interrupted install of ours, or any
 * disk with `wipe: always` is written to; a disk with nucmesh on it is booted, not rewritten.
 */
import type { InstallConfig } from '../config/fleet-schema.js';
import { describeDisk, diskByIdName, eligibleTargets, ineligibility, type DiskFacts } from './disks.js';
import { describeContent, type DiskContent } from './disk-content.js';

export type InstallDecision =
  /** Not installing: the system runs from the stick (in RAM, nothing written to it). */
  | { action: 'run-live'; reason: string }
  | { action: 'install'; target: DiskFacts; content: DiskContent; why: string }
  | { action: 'boot-installed'; target: DiskFacts; espPartUuid: string }
  | { action: 'refuse'; target?: DiskFacts; reason: string };

export interface InstallFacts {
  disks: readonly DiskFacts[];
  /** The disk the system booted from (the stick). */
  bootDisk: string | undefined;
  content(disk: DiskFacts): DiskContent;
}

export const WIPE_HINT = "set 'install: {wipe: always}' in the fleet config on the stick to overwrite it";

function onto(target: DiskFacts, content: DiskContent, wipe: InstallConfig['wipe']): InstallDecision {
  switch (content.kind) {
    case 'installed':
      return { action: 'boot-installed', target, espPartUuid: content.espPartUuid };
    case 'blank':
      return { action: 'install', target, content, why: `${describeDisk(target)} is blank` };
    case 'interrupted':
      return {
        action: 'install',
        target,
        content,
        why: `${describeDisk(target)} holds ${describeContent(content)}: redoing it`,
      };
    case 'foreign':
      return wipe === 'always'
        ? {
            action: 'install',
            target,
            content,
            why: `${describeDisk(target)} is ${describeContent(content)}; overwritten (install.wipe: always)`,
          }
        : {
            action: 'refuse',
            target,
            reason: `${describeDisk(target)} is ${describeContent(content)}. It was left untouched (install.wipe: blank-only); ${WIPE_HINT}`,
          };
  }
}

export function decideInstall(
  config: Pick<InstallConfig, 'mode' | 'target' | 'wipe'>,
  facts: InstallFacts,
): InstallDecision {
  if (config.mode === 'never') return { action: 'run-live', reason: 'install.mode is never in the fleet config' };
  if (config.target !== undefined) {
    const pinned = diskByIdName(facts.disks, config.target);
    if (!pinned) return { action: 'refuse', reason: `install.target ${config.target} is not attached to this machine` };
    const why = ineligibility(pinned, facts.bootDisk);
    if (why)
      return { action: 'refuse', target: pinned, reason: `install.target ${config.target} cannot be used: ${why}` };
    return onto(pinned, facts.content(pinned), config.wipe);
  }
  const candidates = eligibleTargets(facts.disks, facts.bootDisk);
  if (candidates.length === 0)
    return { action: 'run-live', reason: 'no internal disk of at least 8 GiB to install onto' };
  const contents = candidates.map((d) => [d, facts.content(d)] as const);
  // A disk with nucmesh on it (finished, or cut off) is the one this NUC uses: never start a second.
  const ours = contents.find(([, c]) => c.kind === 'installed') ?? contents.find(([, c]) => c.kind === 'interrupted');
  const [target, content] = ours ?? (contents[0] as readonly [DiskFacts, DiskContent]);
  return onto(target, content, config.wipe);
}
