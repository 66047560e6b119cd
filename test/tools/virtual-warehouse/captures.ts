/**
 * Which hardware capture each NUC of the warehouse replays (`nucmesh agent --hardware-from`):
 * the captures in name order, cycled when there are more NUCs than captures. A capture whose
 * hardware gives a stable identity (a DMI UUID, a serial, a MAC) would give the same node ID to
 * every NUC that replays it: from its second use on, such a NUC gets a copy of the capture with
 * a serial (and UUID) of its own in `dmi-id/` (the sysfs fields win over dmidecode's). The shared
 * captures are anonymised (no serial, UUID or MAC), so their nodes draw a random identity each
 * and need no override.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { detectInventory } from '../../../src/firstboot/hardware/index.js';
import { deriveIdentity } from '../../../src/firstboot/identity.js';
import { DMI_ID_DIR } from '../../../src/firstboot/hardware/sources.js';

export interface CaptureUse {
  capture: string;
  /** How many NUCs before this one replay the same capture. */
  reuse: number;
}

/** The capture folders of `dir` (every subfolder), in name order. */
export function listCaptures(dir: string): string[] {
  const found = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort()
    : [];
  if (found.length === 0)
    throw new Error(
      `no hardware captures in ${dir}: give --hardware DIR (a folder of 'nucmesh capture' folders), or ` +
        '$NUCMESH_SHARED_FIXTURES when the shared fixtures are not beside the checkout',
    );
  return found;
}

/** The capture of each of `count` NUCs, cycling through `captures` (pure). */
export function assignCaptures(captures: readonly string[], count: number): CaptureUse[] {
  if (captures.length === 0) throw new Error('no hardware captures to replay');
  return Array.from({ length: count }, (_, i) => ({
    capture: captures[i % captures.length] as string,
    reuse: Math.floor(i / captures.length),
  }));
}

/** The serial and UUID a reused capture gets for one NUC: distinct per warehouse and node (pure). */
export function serialOverride(prefix: string, node: string): { serial: string; uuid: string } {
  const hex = createHash('sha256').update(`${prefix}${node}`).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return { serial: `VWH${hex.slice(0, 10).toUpperCase()}`, uuid };
}

/** Does the capture give a hardware identity (so two NUCs replaying it would collide)? */
export async function hasHardwareIdentity(captureDir: string): Promise<boolean> {
  return deriveIdentity(await detectInventory({ from: captureDir })) !== null;
}

/** A copy of `captureDir` in `into` with the override's serial and UUID as sysfs DMI fields. */
export function writeOverriddenCapture(captureDir: string, into: string, o: { serial: string; uuid: string }): void {
  cpSync(captureDir, into, { recursive: true });
  const dmi = path.join(into, DMI_ID_DIR);
  mkdirSync(dmi, { recursive: true });
  writeFileSync(path.join(dmi, 'product_serial'), `${o.serial}\n`);
  writeFileSync(path.join(dmi, 'product_uuid'), `${o.uuid}\n`);
}
