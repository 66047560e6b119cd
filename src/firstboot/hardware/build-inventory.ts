/**
 * Merge every raw source into one Inventory. Pure: the same RawSources always give the
 * same inventory, whether they were read live or from a capture directory.
 *
 * Precedence where sources disagree: live sysfs/proc (dmi-id, cpuinfo, meminfo,
 * sys-class-net, tpm) beat command output (lscpu, lsblk, ip, lspci, hwinfo), which beats
 * dmidecode. A parser that fails adds a warning; it never throws.
 */
import type { CpuInfo, DiskInfo, GpuInfo, Inventory, NicInfo } from './types.js';
import { DMI_ID_DIR, DMI_ID_FIELDS, SOURCE_FILES, SYS_NET_DIR, TPM_DIR, type RawSources } from './sources.js';
import { cleanMac, clean, toInt } from './clean.js';
import { parseDmidecode, type DmidecodeData } from './parsers/dmidecode.js';
import { parseDmiId } from './parsers/dmi-id.js';
import { parseCpuinfo, type CpuFacts } from './parsers/cpuinfo.js';
import { parseLscpu } from './parsers/lscpu.js';
import { parseMeminfo } from './parsers/meminfo.js';
import { parseLsblk } from './parsers/lsblk.js';
import { parseIpAddr, parseIpLink } from './parsers/ip.js';
import { isGpuClass, parseLspci, pciModel, pciVendorName, type PciDevice } from './parsers/lspci.js';
import { parseHwinfo, type HwinfoData } from './parsers/hwinfo.js';
import { parseKernel, parseOsRelease, parseSensors, parseTpm, parseVirt } from './parsers/small.js';
import { detectPlatform } from './platform.js';
import { isVirtualNicName } from './nic-kind.js';

/** Extra inventory fields beyond the contract in types.ts. */
export interface InventoryExtras {
  /** Network controllers seen on PCI (also where no interface list was captured). */
  nicControllers: {
    pciId: string | null;
    vendor: string | null;
    model: string | null;
    driver: string | null;
    wireless: boolean;
  }[];
  /** lm-sensors chips and temperatures (°C); temperatures change from one read to the next. */
  sensors: { chips: string[]; temperatures: { chip: string; label: string; celsius: number }[] };
  /** Which source each major part came from, for debugging disagreements. */
  sources: {
    system: string | null;
    cpu: string | null;
    memory: string | null;
    disks: string | null;
    nics: string | null;
  };
}

export type FullInventory = Inventory & InventoryExtras;

/** First non-null value, in precedence order. */
function pick<T>(...values: (T | null | undefined)[]): T | null {
  for (const v of values) if (v !== null && v !== undefined) return v;
  return null;
}

function normaliseCpuVendor(v: string | null): string | null {
  if (v === null) return null;
  if (/GenuineIntel|^Intel/i.test(v)) return 'Intel';
  if (/AuthenticAMD|^AMD|Advanced Micro/i.test(v)) return 'AMD';
  if (/^ARM$|^0x41$/i.test(v)) return 'ARM';
  return v;
}

export function buildInventory(src: RawSources): FullInventory {
  const warnings: string[] = [];
  const get = (name: string): string | undefined => src.files.get(name);
  // Everything the reader tried and could not read is a warning, in the reader's words.
  for (const [name, why] of [...src.missing].sort(([a], [b]) => a.localeCompare(b))) warnings.push(`${name}: ${why}`);
  /** An essential source that is simply absent from a capture. */
  const note = (name: string, what: string): void => {
    if (!src.missing.has(name)) warnings.push(`${what}: ${name} was not captured`);
  };
  /** Run a parser over a source; absent source or a parser failure → warning and undefined. */
  function parse<T>(name: string, what: string, parser: (text: string) => T, warnIfAbsent = true): T | undefined {
    const text = get(name);
    if (text === undefined) {
      if (warnIfAbsent) note(name, what);
      return undefined;
    }
    try {
      return parser(text);
    } catch (e) {
      warnings.push(`${what}: could not parse ${name}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  // --- identity strings: dmi-id (sysfs) > dmidecode
  const dmiIdFiles: Record<string, string | undefined> = {};
  let haveDmiId = false;
  for (const f of DMI_ID_FIELDS) {
    const v = get(`${DMI_ID_DIR}/${f}`);
    if (v !== undefined) haveDmiId = true;
    dmiIdFiles[f] = v;
  }
  const dmiId = haveDmiId ? parseDmiId(dmiIdFiles) : undefined;
  const dmi: DmidecodeData | undefined = parse(
    SOURCE_FILES.dmidecode,
    'firmware tables (dmidecode)',
    parseDmidecode,
    !haveDmiId,
  );
  const system = {
    vendor: pick(dmiId?.system.vendor, dmi?.system.vendor),
    product: pick(dmiId?.system.product, dmi?.system.product),
    version: pick(dmiId?.system.version, dmi?.system.version),
    serial: pick(dmiId?.system.serial, dmi?.system.serial),
    uuid: pick(dmiId?.system.uuid, dmi?.system.uuid),
    sku: pick(dmiId?.system.sku, dmi?.system.sku),
    family: pick(dmiId?.system.family, dmi?.system.family),
  };
  const board = {
    vendor: pick(dmiId?.board.vendor, dmi?.board.vendor),
    name: pick(dmiId?.board.name, dmi?.board.name),
    version: pick(dmiId?.board.version, dmi?.board.version),
    serial: pick(dmiId?.board.serial, dmi?.board.serial),
  };
  const bios = {
    vendor: pick(dmiId?.bios.vendor, dmi?.bios.vendor),
    version: pick(dmiId?.bios.version, dmi?.bios.version),
    date: pick(dmiId?.bios.date, dmi?.bios.date),
  };
  const chassis = { type: pick(dmiId?.chassis.type, dmi?.chassis.type) };

  // --- CPU: cpuinfo > lscpu > hwinfo > dmidecode
  const cpuinfo = parse(SOURCE_FILES.cpuinfo, 'CPU details (/proc/cpuinfo)', parseCpuinfo, false);
  const lscpu = parse(SOURCE_FILES.lscpu, 'CPU details (lscpu)', parseLscpu, false);
  const hw: HwinfoData | undefined = parse(SOURCE_FILES.hwinfo, 'hardware probe (hwinfo)', parseHwinfo, false);
  const dmiCpus = (dmi?.processors ?? []).filter((p) => p.populated);
  const dmiCpu: CpuFacts | undefined =
    dmiCpus.length > 0
      ? {
          vendor: dmiCpus[0]?.manufacturer ?? null,
          model: dmiCpus[0]?.version ?? null,
          sockets: dmiCpus.length,
          cores: dmiCpus.every((p) => p.cores !== null) ? dmiCpus.reduce((a, p) => a + (p.cores ?? 0), 0) : null,
          threads: dmiCpus.every((p) => p.threads !== null) ? dmiCpus.reduce((a, p) => a + (p.threads ?? 0), 0) : null,
          flags: [],
        }
      : undefined;
  const cpuSources = [cpuinfo, lscpu, hw?.cpu, dmiCpu].filter((c): c is CpuFacts => c !== undefined);
  const cpuField = <K extends keyof CpuFacts>(k: K): CpuFacts[K] | null =>
    pick(...cpuSources.map((c) => (k === 'flags' ? (c.flags.length > 0 ? c[k] : null) : c[k])));
  const cpu: CpuInfo = {
    vendor: normaliseCpuVendor(cpuField('vendor')),
    model: cpuField('model'),
    sockets: cpuField('sockets'),
    cores: cpuField('cores'),
    threads: cpuField('threads'),
    flags: cpuField('flags') ?? [],
  };
  if (cpuSources.length === 0 || cpu.model === null)
    warnings.push('CPU: no source gave the CPU model (cpuinfo.txt, lscpu.txt, hwinfo.txt, dmidecode.txt)');
  const cpuSource = cpuinfo
    ? 'cpuinfo'
    : lscpu
      ? 'lscpu'
      : hw && hw.cpu.threads
        ? 'hwinfo'
        : dmiCpu
          ? 'dmidecode'
          : null;

  // --- memory: meminfo > dmidecode modules
  const meminfo = parse(SOURCE_FILES.meminfo, 'memory total (/proc/meminfo)', parseMeminfo, !dmi);
  const modules = dmi?.memoryDevices ?? [];
  const installedBytes = modules.length > 0 ? modules.reduce((a, m) => a + m.sizeBytes, 0) : null;
  const memory = { totalBytes: pick(meminfo?.totalBytes, installedBytes), installedBytes, modules };
  if (memory.totalBytes === null)
    warnings.push('memory: total unknown (no /proc/meminfo and no memory devices in dmidecode)');

  // --- disks: lsblk > hwinfo
  const lsblk = parse(SOURCE_FILES.lsblk, 'disks (lsblk)', parseLsblk, !hw);
  const disks: DiskInfo[] = lsblk ?? hw?.disks ?? [];
  if (
    get(SOURCE_FILES.lsblk) !== undefined &&
    lsblk !== undefined &&
    lsblk.length === 0 &&
    !/"blockdevices"/.test(get(SOURCE_FILES.lsblk) ?? '')
  )
    warnings.push('disks: lsblk.json is not lsblk -J output');

  // --- NICs: ip link + sysfs > hwinfo
  const links = parse(SOURCE_FILES.ipLink, 'network interfaces (ip link)', parseIpLink, !hw);
  const addrs =
    parse(SOURCE_FILES.ipAddr, 'network addresses (ip addr)', parseIpAddr, links !== undefined) ??
    new Map<string, string[]>();
  const hwNics = new Map((hw?.nics ?? []).map((n) => [n.name, n]));
  let nics: NicInfo[];
  if (links) {
    nics = links.map((l) => {
      const sys = (fact: string) => get(`${SYS_NET_DIR}/${l.name}/${fact}`);
      const hasSysfs = ['address', 'type', 'speed', 'driver', 'device'].some((f) => sys(f) !== undefined);
      const hasDevice = hasSysfs ? sys('device') !== undefined : (hwNics.get(l.name)?.hasDevice ?? null);
      const speed = toInt(sys('speed'));
      return {
        name: l.name,
        mac: pick(cleanMac(sys('address')), l.mac),
        permanentMac: l.permanentMac,
        driver: pick(clean(sys('driver')), hwNics.get(l.name)?.driver),
        virtual:
          isVirtualNicName(l.name) || l.linkType === 'loopback' || l.kind !== null || l.hasPeer || hasDevice === false,
        speedMbps: speed && speed > 0 ? speed : null,
        addresses: addrs.get(l.name) ?? [],
      };
    });
  } else {
    nics = (hw?.nics ?? []).map((n) => ({
      name: n.name,
      mac: n.mac,
      permanentMac: n.permanentMac,
      driver: n.driver,
      virtual: isVirtualNicName(n.name) || !n.hasDevice,
      speedMbps: null,
      addresses: [],
    }));
  }

  // --- PCI: GPUs and network controllers
  const pci: PciDevice[] = parse(SOURCE_FILES.lspci, 'PCI devices (lspci)', parseLspci, false) ?? [];
  const gpus: GpuInfo[] =
    pci.length > 0
      ? pci
          .filter((d) => isGpuClass(d.classId))
          .map((d) => ({ vendor: pciVendorName(d), model: pciModel(d), pciId: d.pciId }))
      : (hw?.gpus ?? []);
  const nicControllers = pci
    .filter((d) => d.classId === '0200' || d.classId === '0280')
    .map((d) => ({
      pciId: d.pciId,
      vendor: pciVendorName(d),
      model: pciModel(d),
      driver: d.driver,
      wireless: d.classId === '0280',
    }));

  // --- the small ones
  const tpmDevices = get(`${TPM_DIR}/devices`);
  const tpm =
    tpmDevices === undefined
      ? { present: false, version: null }
      : parseTpm(tpmDevices, (d) => get(`${TPM_DIR}/${d}/tpm_version_major`));
  const virtualization = parse(SOURCE_FILES.virt, 'virtualization (systemd-detect-virt)', parseVirt, false) ?? null;
  const kernel = parse(SOURCE_FILES.kernel, 'kernel release', parseKernel, false) ?? null;
  const os = parse(SOURCE_FILES.osRelease, 'operating system (/etc/os-release)', parseOsRelease, false) ?? {
    id: null,
    name: null,
    version: null,
  };
  const sensors = parse(SOURCE_FILES.sensors, 'sensors (lm-sensors)', parseSensors, false) ?? {
    chips: [],
    temperatures: [],
  };

  const platform = detectPlatform({
    systemVendor: system.vendor,
    systemProduct: system.product,
    systemSku: system.sku,
    boardVendor: board.vendor,
    boardName: board.name,
    virtualization,
  });

  return {
    system,
    board,
    bios,
    chassis,
    cpu,
    memory,
    disks,
    nics,
    gpus,
    tpm,
    virtualization,
    kernel,
    os,
    platform,
    nicControllers,
    sensors,
    sources: {
      system: haveDmiId ? 'dmi-id' : dmi ? 'dmidecode' : null,
      cpu: cpuSource,
      memory: meminfo?.totalBytes ? 'meminfo' : installedBytes ? 'dmidecode' : null,
      disks: lsblk ? 'lsblk' : hw ? 'hwinfo' : null,
      nics: links ? 'ip-link' : hw ? 'hwinfo' : null,
    },
    warnings: [...new Set(warnings)],
  };
}
