/**
 * `dmidecode` text output → the records nucmesh uses (BIOS, System, Base Board, Chassis,
 * Processor, Memory Device). Pure; never throws: unreadable input gives empty results.
 */
import type { SystemInfo } from '../types.js';
import { clean, cleanUuid, parseSize, squash, toInt } from '../clean.js';

export interface DmiRecord {
  title: string;
  fields: Record<string, string>;
}

/** Split into records: a record starts at an unindented title line, its fields are `\tKey: value` lines. */
export function parseDmiRecords(text: string): DmiRecord[] {
  const records: DmiRecord[] = [];
  let current: DmiRecord | null = null;
  for (const rawLine of String(text).split(/\r?\n/)) {
    const line = rawLine.replace(/\s+$/, '');
    if (line === '') continue;
    if (!/^\s/.test(line)) {
      current = /^Handle 0x/i.test(line) ? null : { title: line.trim(), fields: {} };
      if (current) records.push(current);
      continue;
    }
    if (!current) continue;
    // Only first-level fields (one tab, or up to 7 spaces); deeper lines are list items.
    if (/^(\t\t|\s{8,})/.test(rawLine)) continue;
    const m = /^\s+([^:]+?):\s?(.*)$/.exec(line);
    if (!m || !m[1]) continue;
    const key = m[1].trim();
    if (!(key in current.fields)) current.fields[key] = m[2] ?? '';
  }
  return records;
}

export interface DmiProcessor {
  manufacturer: string | null;
  version: string | null;
  family: string | null;
  populated: boolean;
  cores: number | null;
  threads: number | null;
}

export interface DmiMemoryDevice {
  sizeBytes: number;
  type: string | null;
  speedMTs: number | null;
  locator: string | null;
}

export interface DmidecodeData {
  bios: { vendor: string | null; version: string | null; date: string | null };
  system: SystemInfo;
  board: { vendor: string | null; name: string | null; version: string | null; serial: string | null };
  chassis: { type: string | null };
  processors: DmiProcessor[];
  memoryDevices: DmiMemoryDevice[];
}

function first(records: DmiRecord[], title: string): Record<string, string> {
  return records.find((r) => r.title === title)?.fields ?? {};
}

/** "3200 MT/s", "1600 MHz" → 3200 / 1600. */
function parseSpeed(s: string | undefined): number | null {
  const m = /^\s*(\d+)\s*(MT\/s|MHz)\s*$/i.exec(s ?? '');
  return m ? toInt(m[1]) : null;
}

export function parseDmidecode(text: string): DmidecodeData {
  const records = parseDmiRecords(text);
  const bios = first(records, 'BIOS Information');
  const sys = first(records, 'System Information');
  const board = first(records, 'Base Board Information');
  const chassis = first(records, 'Chassis Information');
  const processors: DmiProcessor[] = records
    .filter((r) => r.title === 'Processor Information')
    .map((r) => {
      const f = r.fields;
      const status = f['Status'] ?? '';
      return {
        manufacturer: clean(f['Manufacturer']),
        version: squash(clean(f['Version'])),
        family: clean(f['Family']),
        populated: !/unpopulated/i.test(status) && (/populated/i.test(status) || clean(f['Version']) !== null),
        cores: toInt(f['Core Enabled']) || toInt(f['Core Count']) || null,
        threads: toInt(f['Thread Count']) || null,
      };
    });
  const memoryDevices: DmiMemoryDevice[] = [];
  for (const r of records) {
    if (r.title !== 'Memory Device') continue;
    const f = r.fields;
    const sizeBytes = parseSize(f['Size']);
    if (sizeBytes === null || sizeBytes <= 0) continue; // "No Module Installed", "Unknown"
    memoryDevices.push({
      sizeBytes,
      type: clean(f['Type']),
      speedMTs: parseSpeed(f['Speed']),
      locator: clean(f['Locator']),
    });
  }
  return {
    bios: { vendor: clean(bios['Vendor']), version: clean(bios['Version']), date: clean(bios['Release Date']) },
    system: {
      vendor: clean(sys['Manufacturer']),
      product: clean(sys['Product Name']),
      version: clean(sys['Version']),
      serial: clean(sys['Serial Number']),
      uuid: cleanUuid(sys['UUID']),
      sku: clean(sys['SKU Number']),
      family: clean(sys['Family']),
    },
    board: {
      vendor: clean(board['Manufacturer']),
      name: clean(board['Product Name']),
      version: clean(board['Version']),
      serial: clean(board['Serial Number']),
    },
    chassis: { type: clean(chassis['Type']) },
    processors,
    memoryDevices,
  };
}
