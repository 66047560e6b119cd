/**
 * Which EFI system partition this node booted from: the partition the boot loader names, never
 * a file system label. A NUC with the installer stick still in has two partitions labelled
 * NUCMESH-ESP, and udev may make the by-label link late or for the wrong one.
 *
 * Sources, in order:
 * 1. `LoaderDevicePartUUID`, the EFI variable systemd-boot sets (Boot Loader Interface),
 *    also set by GRUB's `bli` module where the GRUB build has it;
 * 2. `nucmesh.esp=PARTUUID=<uuid>` on the kernel command line, written by
 *    scripts/build-image.sh into every boot entry (GRUB's Secure Boot path and direct-kernel
 *    boots, where no loader reports the partition).
 *
 * The image's generator (`/etc/systemd/system-generators/nucmesh-esp-generator`) reads the
 * same two sources to write `boot-efi.mount`; these parsers are kept equal to it by test.
 * Pure parsers first, then the thin readers of the live machine.
 */
import { promises as fs } from 'node:fs';

/** `LoaderDevicePartUUID` in efivarfs (vendor GUID of the Boot Loader Interface). */
export const LOADER_DEVICE_PART_UUID_VAR =
  '/sys/firmware/efi/efivars/LoaderDevicePartUUID-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f';
export const ESP_MOUNTPOINT = '/boot/efi';
export const ESP_CMDLINE_PARAM = 'nucmesh.esp';
/** The mount unit the image's generator writes for the ESP. */
export const ESP_MOUNT_UNIT = 'boot-efi.mount';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type EspSource = 'loader' | 'cmdline';

export interface EspLocation {
  /** Lower-case partition UUID. */
  partuuid: string;
  source: EspSource;
  /** The udev link of the partition. */
  device: string;
}

/** A partition UUID in canonical lower-case form, or undefined when `s` is not one. */
function canonicalUuid(s: string): string | undefined {
  const u = s.trim().toLowerCase();
  return UUID.test(u) ? u : undefined;
}

/** The UUID in an efivarfs file: 4 bytes of attributes, then a NUL-terminated UTF-16LE string. */
export function partUuidFromEfiVar(bytes: Buffer): string | undefined {
  if (bytes.length < 4 + 2) return undefined;
  const text = bytes.subarray(4, bytes.length - ((bytes.length - 4) % 2)).toString('utf16le');
  return canonicalUuid(text.replace(/\0+$/, ''));
}

/** The UUID of `nucmesh.esp=PARTUUID=<uuid>` on a kernel command line (the last one counts). */
export function partUuidFromCmdline(cmdline: string): string | undefined {
  let found: string | undefined;
  for (const word of cmdline.split(/\s+/)) {
    const m = /^nucmesh\.esp=PARTUUID=(.+)$/i.exec(word);
    if (m?.[1]) found = canonicalUuid(m[1]) ?? found;
  }
  return found;
}

export function espLocation(partuuid: string, source: EspSource): EspLocation {
  return { partuuid, source, device: `/dev/disk/by-partuuid/${partuuid}` };
}

/** What the boot loader and the command line say, the loader first. */
export function locateEspFrom(efiVar: Buffer | undefined, cmdline: string): EspLocation | undefined {
  const fromLoader = efiVar ? partUuidFromEfiVar(efiVar) : undefined;
  if (fromLoader) return espLocation(fromLoader, 'loader');
  const fromCmdline = partUuidFromCmdline(cmdline);
  return fromCmdline ? espLocation(fromCmdline, 'cmdline') : undefined;
}

/** The source device of the file system mounted at `mountpoint` in /proc/self/mountinfo text. */
export function mountSourceAt(mountinfo: string, mountpoint: string): string | undefined {
  let source: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    const fields = left?.split(' ');
    if (!fields || right === undefined || fields[4] !== mountpoint) continue;
    source = right.split(' ')[1]; // the last mount on a path is the visible one
  }
  return source;
}

export function describeEsp(loc: EspLocation): string {
  return `PARTUUID=${loc.partuuid} (${loc.source === 'loader' ? 'named by the boot loader' : 'from the kernel command line'})`;
}

export interface EspStatus {
  location?: EspLocation;
  /** The partition's device exists (udev has made its link). */
  present: boolean;
  /** Something is mounted at /boot/efi, and that device. */
  mountedFrom?: string;
}

export interface EspReaders {
  efiVar(): Promise<Buffer | undefined>;
  cmdline(): Promise<string>;
  exists(file: string): Promise<boolean>;
  mountinfo(): Promise<string>;
  realpath(file: string): Promise<string>;
}

const readOrUndefined = (file: string) => fs.readFile(file).catch(() => undefined);

export const liveEspReaders: EspReaders = {
  efiVar: () => readOrUndefined(LOADER_DEVICE_PART_UUID_VAR),
  cmdline: async () => (await readOrUndefined('/proc/cmdline'))?.toString('utf8') ?? '',
  exists: (file) =>
    fs.access(file).then(
      () => true,
      () => false,
    ),
  mountinfo: async () => (await readOrUndefined('/proc/self/mountinfo'))?.toString('utf8') ?? '',
  realpath: (file) => fs.realpath(file).catch(() => file),
};

/** Which partition this boot came from (fixed for the boot: callers may keep it). */
export async function locateEsp(read: EspReaders = liveEspReaders): Promise<EspLocation | undefined> {
  return locateEspFrom(await read.efiVar(), await read.cmdline());
}

/** Whether the partition is there and what is mounted at /boot/efi, now. */
export async function espStatus(
  read: EspReaders = liveEspReaders,
  located: Promise<EspLocation | undefined> = locateEsp(read),
): Promise<EspStatus> {
  const location = await located;
  const present = location ? await read.exists(location.device) : false;
  const mountedFrom = mountSourceAt(await read.mountinfo(), ESP_MOUNTPOINT);
  const status: EspStatus = { present };
  if (location) status.location = location;
  if (mountedFrom) status.mountedFrom = mountedFrom;
  return status;
}

/** True when /boot/efi holds the partition the loader booted from (both resolved to /dev/nvme0n1p1 etc.). */
export async function mountedIsBootEsp(s: EspStatus, read: EspReaders = liveEspReaders): Promise<boolean> {
  if (!s.location || !s.mountedFrom) return false;
  return (await read.realpath(s.location.device)) === (await read.realpath(s.mountedFrom));
}
