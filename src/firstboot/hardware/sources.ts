/**
 * The raw sources of an inventory, keyed by the file name `nucmesh capture` writes them
 * under. The live reader and the capture-directory reader both produce `RawSources`, and
 * the inventory is built from it by pure functions, so a capture replays exactly as live.
 */

export interface RawSources {
  /** File name (relative, '/'-separated) → text content. */
  files: Map<string, string>;
  /** File name → why it could not be read (command missing, failed, file absent). */
  missing: Map<string, string>;
}

/** Command outputs and single files, by capture file name. */
export const SOURCE_FILES = {
  dmidecode: 'dmidecode.txt',
  cpuinfo: 'cpuinfo.txt',
  lscpu: 'lscpu.txt',
  meminfo: 'meminfo.txt',
  lsblk: 'lsblk.json',
  ipAddr: 'ip-addr.json',
  ipLink: 'ip-link.json',
  lspci: 'lspci.txt',
  hwinfo: 'hwinfo.txt',
  sensors: 'sensors.txt',
  osRelease: 'os-release',
  virt: 'systemd-detect-virt.txt',
  kernel: 'kernel-release',
} as const;

/** Missing-source reasons are stored in this file of a capture directory. */
export const MISSING_FILE = 'missing.json';

/** `/sys/class/dmi/id/<field>` files are captured as `dmi-id/<field>`. */
export const DMI_ID_DIR = 'dmi-id';
export const DMI_ID_FIELDS = [
  'sys_vendor',
  'product_name',
  'product_version',
  'product_serial',
  'product_uuid',
  'product_sku',
  'product_family',
  'board_vendor',
  'board_name',
  'board_version',
  'board_serial',
  'bios_vendor',
  'bios_version',
  'bios_date',
  'chassis_type',
] as const;

/** `/sys/class/net/<if>/…` facts are captured as `sys-class-net/<if>/<fact>`. */
export const SYS_NET_DIR = 'sys-class-net';
/** `address`, `speed` and `type` are the sysfs files; `driver` and `device` are symlink targets. */
export const SYS_NET_FACTS = ['address', 'speed', 'type', 'driver', 'device'] as const;

/** `/sys/class/tpm`: `tpm/devices` lists the entries (one a line, empty for none); `tpm/<dev>/tpm_version_major`. */
export const TPM_DIR = 'tpm';

export function emptySources(): RawSources {
  return { files: new Map(), missing: new Map() };
}
