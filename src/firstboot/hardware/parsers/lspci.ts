/**
 * `lspci -vvnn` (or `lspci -nn`) → PCI devices: slot, class, vendor:device IDs, description
 * and the kernel driver in use. Plain `lspci -nn` lines are the first line of each block.
 */
import { clean } from '../clean.js';

export interface PciDevice {
  slot: string;
  classId: string | null;
  className: string | null;
  pciId: string | null;
  vendorId: string | null;
  description: string | null;
  driver: string | null;
}

/** PCI vendor IDs worth naming; the rest keep lspci's description as the model. */
export const PCI_VENDORS: Record<string, string> = {
  '8086': 'Intel',
  '10de': 'NVIDIA',
  '1002': 'AMD',
  '1022': 'AMD',
  '1af4': 'Red Hat (virtio)',
  '1234': 'QEMU',
  '15ad': 'VMware',
  '10ec': 'Realtek',
  '14e4': 'Broadcom',
  '1b36': 'Red Hat (QEMU)',
  '80ee': 'VirtualBox',
  '1414': 'Microsoft',
  '1106': 'VIA',
  '144d': 'Samsung',
};

const HEAD = /^([0-9a-f]{0,4}:?[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f])\s+(.+?)\s+\[([0-9a-f]{4})\]:\s+(.*)$/i;

export function parseLspci(text: string): PciDevice[] {
  const devices: PciDevice[] = [];
  let cur: PciDevice | null = null;
  for (const line of String(text).split('\n')) {
    const m = HEAD.exec(line.trimEnd());
    if (m) {
      let rest = m[4] ?? '';
      rest = rest.replace(/\s*\(prog-if [^)]*\)\s*$/i, '').replace(/\s*\(rev [0-9a-f]+\)\s*$/i, '');
      const ids = /\s*\[([0-9a-f]{4}):([0-9a-f]{4})\]\s*$/i.exec(rest);
      const description = clean(ids ? rest.slice(0, ids.index) : rest);
      cur = {
        slot: m[1] ?? '',
        className: clean(m[2]),
        classId: (m[3] ?? '').toLowerCase() || null,
        pciId: ids ? `${(ids[1] ?? '').toLowerCase()}:${(ids[2] ?? '').toLowerCase()}` : null,
        vendorId: ids ? (ids[1] ?? '').toLowerCase() : null,
        description,
        driver: null,
      };
      devices.push(cur);
      continue;
    }
    const d = /^\s+Kernel driver in use:\s*(\S+)/.exec(line);
    if (d && cur) cur.driver = d[1] ?? null;
  }
  return devices;
}

/** The vendor name for a device (from its PCI vendor ID, else the first words of the description). */
export function pciVendorName(dev: PciDevice): string | null {
  if (dev.vendorId && PCI_VENDORS[dev.vendorId]) return PCI_VENDORS[dev.vendorId] ?? null;
  return null;
}

/** The description without a leading vendor name ("Intel Corporation HD Graphics 6000" → "HD Graphics 6000"). */
export function pciModel(dev: PciDevice): string | null {
  if (!dev.description) return null;
  const stripped = dev.description.replace(
    /^(Intel Corporation|Advanced Micro Devices, Inc\.(?: \[AMD\/ATI\])?|NVIDIA Corporation|Red Hat, Inc\.|Realtek Semiconductor Co\., Ltd\.|Broadcom Inc\. and subsidiaries|Device)\s+/,
    '',
  );
  const model = clean(stripped);
  return model === null || /^Device( [0-9a-f]{4})?$/i.test(model) ? null : model;
}

export function isGpuClass(classId: string | null): boolean {
  return classId === '0300' || classId === '0302' || classId === '0380';
}
