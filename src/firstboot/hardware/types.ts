/**
 * The inventory: what a node is. This shape is a contract: other parts (labels,
 * identity, election rank, the API's /hardware, the console banner) and `--json`
 * consumers rely on these fields. Add fields freely; do not remove or rename these.
 * Every unknown value is `null`, never a placeholder string.
 */
export interface SystemInfo {
  vendor: string | null;
  product: string | null;
  version: string | null;
  serial: string | null;
  uuid: string | null;
  sku: string | null;
  family: string | null;
}

export interface BoardInfo {
  vendor: string | null;
  name: string | null;
  version: string | null;
  serial: string | null;
}

export interface BiosInfo {
  vendor: string | null;
  version: string | null;
  date: string | null;
}

export interface ChassisInfo {
  type: string | null;
}

export interface CpuInfo {
  vendor: string | null;
  model: string | null;
  sockets: number | null;
  cores: number | null;
  threads: number | null;
  flags: string[];
}

export interface MemoryModule {
  sizeBytes: number;
  type: string | null;
  speedMTs: number | null;
  locator: string | null;
}

export interface MemoryInfo {
  /** Usable memory (MemTotal) on a live machine; the installed total when only DMI is known. */
  totalBytes: number | null;
  /** Sum of the installed modules (DMI), when known. */
  installedBytes?: number | null;
  modules: MemoryModule[];
}

export type DiskTransport = 'nvme' | 'sata' | 'usb' | 'mmc' | 'virtio' | 'scsi' | 'unknown';

export interface DiskInfo {
  name: string;
  sizeBytes: number | null;
  transport: DiskTransport;
  rotational: boolean | null;
  removable: boolean | null;
  model: string | null;
  serial: string | null;
}

export interface NicInfo {
  name: string;
  mac: string | null;
  /** The burned-in MAC when the kernel reports one different from `mac`. */
  permanentMac?: string | null;
  driver: string | null;
  virtual: boolean;
  speedMbps: number | null;
  addresses: string[];
}

export interface GpuInfo {
  vendor: string | null;
  model: string | null;
  pciId: string | null;
}

export interface TpmInfo {
  present: boolean;
  version: string | null;
}

export interface OsInfo {
  id: string | null;
  name: string | null;
  version: string | null;
}

export type PlatformKind = 'nuc' | 'other' | 'virtual';

export interface PlatformInfo {
  kind: PlatformKind;
  /** e.g. "NUC11TNHi5" */
  model: string | null;
  /** NUC generation 5…14, or null when not a NUC or unknown. */
  generation: number | null;
}

export interface Inventory {
  system: SystemInfo;
  board: BoardInfo;
  bios: BiosInfo;
  chassis: ChassisInfo;
  cpu: CpuInfo;
  memory: MemoryInfo;
  disks: DiskInfo[];
  nics: NicInfo[];
  gpus: GpuInfo[];
  tpm: TpmInfo;
  /** systemd-detect-virt's answer, e.g. "kvm", or null on bare metal / unknown. */
  virtualization: string | null;
  kernel: string | null;
  os: OsInfo;
  platform: PlatformInfo;
  /** What could not be read: one sentence each. Never an exception. */
  warnings: string[];
}
