/**
 * Platform detection: is this an Intel (or ASUS-made) NUC, which model and generation,
 * another machine, or a virtual one. Pure.
 *
 * Rules, in order:
 * 1. A NUC model name (`NUC<gen>…`, e.g. NUC11TNHi5, NUC13ANH-B, NUC5i5RYB) in the system
 *    product name, else the board name, else the SKU → `nuc`. Boards with blank system
 *    strings (NUC5i5RYB, NUC11TNBv7) are recognised by the board name alone.
 * 2. A hypervisor (systemd-detect-virt, or a virtual-machine vendor/product in DMI), or a
 *    container that shows no DMI data at all → `virtual`.
 * 3. Anything else → `other`.
 */
import type { PlatformInfo } from './types.js';

/** `NUC` + generation digits + the rest of the model token. */
const NUC_MODEL = /(?:^|[^A-Za-z0-9])(NUC\s?(\d{1,2})[A-Za-z0-9]*(?:-[A-Za-z0-9]+)?)/i;
export const MIN_NUC_GENERATION = 5;
export const MAX_NUC_GENERATION = 15;

/** A NUC model token and its generation from one string, or null. */
export function nucModelOf(s: string | null): { model: string; generation: number | null } | null {
  if (!s) return null;
  const m = NUC_MODEL.exec(s);
  if (!m || !m[1]) return null;
  const digits = m[2] ?? '';
  // "NUC11…": two digits when they form a known generation, else one ("NUC5i5" → 5; "NUC7CJYH" → 7).
  let gen = Number(digits);
  if (digits.length === 2 && (gen < MIN_NUC_GENERATION || gen > MAX_NUC_GENERATION)) gen = Number(digits[0]);
  const generation = gen >= MIN_NUC_GENERATION && gen <= MAX_NUC_GENERATION ? gen : null;
  return { model: m[1].replace(/\s+/g, ''), generation };
}

const VM_VIRT = new Set([
  'kvm',
  'qemu',
  'vmware',
  'microsoft',
  'oracle',
  'xen',
  'bochs',
  'uml',
  'parallels',
  'bhyve',
  'qnx',
  'acrn',
  'powervm',
  'apple',
  'sre',
  'google',
  'amazon',
  'zvm',
  'vm-other',
]);
const VM_DMI =
  /\b(QEMU|KVM|VirtualBox|VMware|Virtual Machine|Bochs|Xen|Standard PC \(|innotek|Parallels|BHYVE|Google Compute Engine|Amazon EC2)\b/i;

export interface PlatformInput {
  systemVendor: string | null;
  systemProduct: string | null;
  systemSku: string | null;
  boardVendor: string | null;
  boardName: string | null;
  virtualization: string | null;
}

export function detectPlatform(i: PlatformInput): PlatformInfo {
  for (const s of [i.systemProduct, i.boardName, i.systemSku]) {
    const nuc = nucModelOf(s);
    if (nuc) return { kind: 'nuc', model: nuc.model, generation: nuc.generation };
  }
  const dmiText = [i.systemVendor, i.systemProduct, i.boardVendor, i.boardName].filter((s): s is string => s !== null);
  const model = i.systemProduct ?? i.boardName;
  if ((i.virtualization !== null && VM_VIRT.has(i.virtualization)) || dmiText.some((s) => VM_DMI.test(s)))
    return { kind: 'virtual', model, generation: null };
  if (i.virtualization !== null && dmiText.length === 0) return { kind: 'virtual', model: null, generation: null };
  return { kind: 'other', model, generation: null };
}
