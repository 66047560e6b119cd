/**
 * `hwinfo` text output → CPUs, disks, network interfaces and graphics cards. hwinfo
 * records start with `NN: BUS ID: CLASS Name` and carry `  Key: value` lines. Pure; never throws.
 */
import type { DiskInfo, GpuInfo } from '../types.js';
import { clean, cleanMac, squash, toInt } from '../clean.js';
import { diskTransport } from './lsblk.js';
import type { CpuFacts } from './cpuinfo.js';
import { PCI_VENDORS } from './lspci.js';

export interface HwinfoRecord {
  bus: string;
  title: string;
  fields: Record<string, string>;
}

export interface HwinfoNic {
  name: string;
  mac: string | null;
  permanentMac: string | null;
  driver: string | null;
  /** Backed by a device (PCI/USB), not a software interface. */
  hasDevice: boolean;
}

export interface HwinfoData {
  cpu: CpuFacts;
  disks: DiskInfo[];
  nics: HwinfoNic[];
  gpus: GpuInfo[];
}

export function parseHwinfoRecords(text: string): HwinfoRecord[] {
  const records: HwinfoRecord[] = [];
  let cur: HwinfoRecord | null = null;
  for (const line of String(text).split('\n')) {
    const head = /^\d+:\s+(\S+)\s+[0-9a-f]+\.[0-9a-f]+:\s+[0-9a-f]+\s+(.*)$/i.exec(line.trimEnd());
    if (head) {
      cur = { bus: head[1] ?? '', title: (head[2] ?? '').trim(), fields: {} };
      records.push(cur);
      continue;
    }
    if (!cur) continue;
    const m = /^ {2}([A-Za-z][^:]*?):\s?(.*)$/.exec(line.trimEnd());
    if (m && m[1] && !(m[1] in cur.fields)) cur.fields[m[1]] = m[2] ?? '';
  }
  return records;
}

/** `"Intel Corporation"` → `Intel Corporation`; the first quoted string of a value. */
function quoted(v: string | undefined, requireQuotes = false): string | null {
  if (v === undefined) return null;
  const m = /"([^"]*)"/.exec(v);
  if (!m && requireQuotes) return null;
  return clean(m ? m[1] : v);
}

/** `pci 0x8086 "Intel Corporation"` → `8086`. */
function pciHex(v: string | undefined): string | null {
  const m = /pci 0x([0-9a-f]{4})/i.exec(v ?? '');
  return m ? (m[1] ?? '').toLowerCase() : null;
}

export function parseHwinfo(text: string): HwinfoData {
  const records = parseHwinfoRecords(text);
  const cpus = records.filter((r) => r.fields['Hardware Class'] === 'cpu');
  const c0 = cpus[0]?.fields ?? {};
  const cpu: CpuFacts = {
    vendor: quoted(c0['Vendor']),
    model: squash(quoted(c0['Model'])),
    sockets: null,
    cores: null,
    threads: cpus.length > 0 ? cpus.length : null,
    flags: (c0['Features'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => /^[a-z0-9_.]+$/i.test(s)),
  };
  const disks: DiskInfo[] = [];
  const nics: HwinfoNic[] = [];
  const gpus: GpuInfo[] = [];
  for (const r of records) {
    const f = r.fields;
    const cls = f['Hardware Class'];
    if (cls === 'disk') {
      const name =
        (f['Device File'] ?? '')
          .trim()
          .replace(/^\/dev\//, '')
          .split(/\s/)[0] ?? '';
      if (!name) continue;
      const bytes = /\((\d+) bytes\)/.exec(f['Capacity'] ?? '');
      const drivers = (f['Driver'] ?? '').toLowerCase();
      const tran =
        r.bus.toUpperCase() === 'NVME' || /nvme/.test(drivers)
          ? 'nvme'
          : /usb-storage|uas/.test(drivers) || r.bus.toUpperCase() === 'USB'
            ? 'usb'
            : /ahci|ata_/.test(drivers) || r.bus.toUpperCase() === 'IDE'
              ? 'sata'
              : /mmc|sdhci/.test(drivers)
                ? 'mmc'
                : null;
      disks.push({
        name,
        sizeBytes: bytes ? toInt(bytes[1]) : null,
        transport: diskTransport(name, tran, null),
        rotational: null,
        removable: null,
        model: quoted(f['Model']),
        serial: quoted(f['Serial ID']),
      });
    } else if (cls === 'network interface') {
      const name = (f['Device File'] ?? '').trim();
      if (!name) continue;
      nics.push({
        name,
        mac: cleanMac(f['HW Address']),
        permanentMac: cleanMac(f['Permanent HW Address']),
        driver: quoted(f['Driver']),
        hasDevice: 'SysFS Device Link' in f,
      });
    } else if (cls === 'graphics card') {
      const vendorId = pciHex(f['Vendor']);
      const deviceId = pciHex(f['Device']);
      gpus.push({
        vendor: (vendorId && PCI_VENDORS[vendorId]) ?? quoted(f['Vendor']),
        model: quoted(f['Device'], true) ?? quoted(f['Model']),
        pciId: vendorId && deviceId ? `${vendorId}:${deviceId}` : null,
      });
    }
  }
  return { cpu, disks, nics, gpus };
}
