/**
 * Variants of the test image made without rebuilding it: a sparse copy changed with mtools and
 * sfdisk (no loop devices, no mounts). An image whose ESP lacks the fleet config, and a
 * "stick": a copy with new disk and partition UUIDs and a fleet config of its own, as a second
 * nucmesh medium left plugged in (same labels, NUCMESH-ESP and nucmesh-root).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestImage } from './test-image.js';
import { partitions } from './image-files.js';

/** mtools' spec of the ESP inside a disk image: IMAGE@@BYTE-OFFSET. */
function espSpec(img: string): string {
  const esp = partitions(img).find((p) => p.type.toUpperCase() === 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
  if (!esp) throw new Error(`${img} has no EFI system partition`);
  return `${img}@@${esp.start * 512}`;
}

function sparseCopy(from: string, to: string): void {
  execFileSync('cp', ['--sparse=always', from, to]);
}

const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: '1' };

/** A copy of the image whose ESP has no nucmesh/fleet.yaml. */
export function imageWithoutFleet(image: TestImage, dir: string): TestImage {
  const img = path.join(dir, 'no-fleet.img');
  sparseCopy(image.img, img);
  execFileSync('mdel', ['-i', espSpec(img), '::/nucmesh/fleet.yaml'], { env: mtoolsEnv });
  return { ...image, img };
}

/** The partition UUID of the image's ESP, as the kernel command line names it. */
export function espPartUuid(image: TestImage): string {
  const m = /\bnucmesh\.esp=PARTUUID=([0-9a-f-]{36})\b/.exec(image.cmdline);
  if (!m?.[1]) throw new Error(`the image's command line names no ESP: ${image.cmdline}`);
  return m[1];
}

/** A second nucmesh medium: new disk and partition UUIDs, the same labels, `fleetYaml` on its ESP. */
export function stickCopy(image: TestImage, dir: string, fleetYaml: string): { img: string; espPartUuid: string } {
  const img = path.join(dir, 'stick.img');
  sparseCopy(image.img, img);
  execFileSync('sfdisk', ['--quiet', '--disk-id', img, randomUUID()]);
  const espUuid = randomUUID();
  execFileSync('sfdisk', ['--quiet', '--part-uuid', img, '1', espUuid]);
  execFileSync('sfdisk', ['--quiet', '--part-uuid', img, '2', randomUUID()]);
  const fleet = path.join(dir, 'stick-fleet.yaml');
  writeFileSync(fleet, fleetYaml, { mode: 0o600 });
  execFileSync('mcopy', ['-o', '-i', espSpec(img), fleet, '::/nucmesh/fleet.yaml'], { env: mtoolsEnv });
  return { img, espPartUuid: espUuid };
}
