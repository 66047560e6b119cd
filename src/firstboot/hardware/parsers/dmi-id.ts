/**
 * `/sys/class/dmi/id/*` files → system/board/bios/chassis fields. The kernel exposes the
 * same SMBIOS strings as dmidecode, one file each; `chassis_type` is the SMBIOS number.
 */
import type { SystemInfo } from '../types.js';
import { clean, cleanUuid, toInt } from '../clean.js';

/** SMBIOS chassis types (DSP0134 7.4.1), as dmidecode names them. */
const CHASSIS_TYPES: Record<number, string> = {
  1: 'Other',
  2: 'Unknown',
  3: 'Desktop',
  4: 'Low Profile Desktop',
  5: 'Pizza Box',
  6: 'Mini Tower',
  7: 'Tower',
  8: 'Portable',
  9: 'Laptop',
  10: 'Notebook',
  11: 'Hand Held',
  12: 'Docking Station',
  13: 'All In One',
  14: 'Sub Notebook',
  15: 'Space-saving',
  16: 'Lunch Box',
  17: 'Main Server Chassis',
  18: 'Expansion Chassis',
  19: 'Sub Chassis',
  20: 'Bus Expansion Chassis',
  21: 'Peripheral Chassis',
  22: 'RAID Chassis',
  23: 'Rack Mount Chassis',
  24: 'Sealed-case PC',
  25: 'Multi-system',
  26: 'CompactPCI',
  27: 'AdvancedTCA',
  28: 'Blade',
  29: 'Blade Chassis',
  30: 'Tablet',
  31: 'Convertible',
  32: 'Detachable',
  33: 'IoT Gateway',
  34: 'Embedded PC',
  35: 'Mini PC',
  36: 'Stick PC',
};

export interface DmiIdData {
  system: SystemInfo;
  board: { vendor: string | null; name: string | null; version: string | null; serial: string | null };
  bios: { vendor: string | null; version: string | null; date: string | null };
  chassis: { type: string | null };
}

/** `files` maps a field name (e.g. `product_name`) to the file's content. */
export function parseDmiId(files: Record<string, string | undefined>): DmiIdData {
  const f = (k: string) => clean(files[k]);
  const chassisNum = toInt(files['chassis_type']);
  return {
    system: {
      vendor: f('sys_vendor'),
      product: f('product_name'),
      version: f('product_version'),
      serial: f('product_serial'),
      uuid: cleanUuid(files['product_uuid']),
      sku: f('product_sku'),
      family: f('product_family'),
    },
    board: { vendor: f('board_vendor'), name: f('board_name'), version: f('board_version'), serial: f('board_serial') },
    bios: { vendor: f('bios_vendor'), version: f('bios_version'), date: f('bios_date') },
    chassis: { type: chassisNum === null ? null : clean(CHASSIS_TYPES[chassisNum] ?? null) },
  };
}
