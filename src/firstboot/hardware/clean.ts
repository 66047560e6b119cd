/**
 * Placeholder cleaning: firmware fills unknown fields with filler strings. Those are
 * not data. Every cleaner returns `null` for a placeholder, never the filler itself.
 */

/** Filler strings seen in SMBIOS/DMI data, compared case-insensitively after trimming. */
const PLACEHOLDERS = new Set(
  [
    'To Be Filled By O.E.M.',
    'To be filled by O.E.M.',
    'Default string',
    'System Product Name',
    'System Serial Number',
    'System Version',
    'System manufacturer',
    'Base Board Serial Number',
    'Chassis Serial Number',
    'Not Specified',
    'Not Applicable',
    'Not Available',
    'Not Present',
    'Not Provided',
    'Unknown',
    'None',
    'N/A',
    'NA',
    'O.E.M.',
    'OEM',
    '0123456789',
    '--',
    '...',
    '0',
    '-',
  ].map((s) => s.toLowerCase()),
);

/** A trimmed string, or null for a placeholder, empty or whitespace-only string, or a non-string. */
export function clean(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const s = value
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (s === '') return null;
  if (PLACEHOLDERS.has(s.toLowerCase())) return null;
  if (/^[0\s.:-]+$/.test(s)) return null; // "0", "00000000", "0.0", "00:00:..."
  if (/^[fF\s.:-]+$/.test(s) && /[fF]/.test(s) && s.replace(/[^fF]/g, '').length >= 4) return null; // all-F fillers
  return s;
}

/** Well-known UUIDs that many boards ship with: not unique, so not an identity. */
const NON_UNIQUE_UUIDS = new Set(['03000200-0400-0500-0006-000700080009', '12345678-1234-5678-90ab-cddeefaabbcc']);

/** A DMI UUID in canonical lower-case form, or null for placeholders, all-0/all-F and malformed ones. */
export function cleanUuid(value: unknown): string | null {
  const s = clean(value);
  if (s === null) return null;
  const hex = s.toLowerCase().replace(/[{}\s-]/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  if (/^0+$/.test(hex) || /^f+$/.test(hex)) return null;
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return NON_UNIQUE_UUIDS.has(uuid) ? null : uuid;
}

/** A MAC address as `aa:bb:cc:dd:ee:ff`, or null for anonymised ("...", hashes), all-zero or malformed ones. */
export function cleanMac(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const s = value.trim().toLowerCase().replace(/-/g, ':');
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(s)) return null;
  if (s === '00:00:00:00:00:00' || s === 'ff:ff:ff:ff:ff:ff') return null;
  return s;
}

/** A non-negative finite integer from a number or a numeric string, else null. */
export function toInt(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.trunc(value) : null;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (!/^\d+(\.\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/** lsblk prints booleans as JSON booleans (new) or "0"/"1" strings (old). */
export function toBool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1' || value === 'true') return true;
  if (value === 0 || value === '0' || value === 'false') return false;
  return null;
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** "8 GB", "4096 MB", "16384 kB" → bytes (binary units, as dmidecode and /proc mean them), else null. */
export function parseSize(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?i?[bB])\s*$/.exec(value);
  if (!m) return null;
  const unit = UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return null;
  return Math.round(Number(m[1]) * unit);
}

/** Collapse inner whitespace runs (CPU model strings carry double spaces). */
export function squash(value: string | null): string | null {
  return value === null ? null : value.replace(/\s+/g, ' ').trim();
}
