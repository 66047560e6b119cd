/**
 * The mark of an install in progress: written in place of the GPT header (LBA 1) before any
 * payload, so a disk whose install was cut off has no partition table (nothing boots it) and
 * carries a sign nobody else writes. Booting the stick again finds it and redoes the install,
 * also with `wipe: blank-only`; a disk without it is never taken for one of ours.
 */

export const MARKER_MAGIC = 'NUCMESH-INSTALL-IN-PROGRESS v1\n';

export interface InstallMarker {
  /** The nucmesh version that started the install. */
  version: string;
  /** When it started (ISO 8601). */
  started: string;
  /** The disk GUID of the stick it came from. */
  sourceDiskId: string;
}

/** One logical sector: the magic, one JSON line, zeros. */
export function encodeMarker(m: InstallMarker, sectorSize: number): Buffer {
  const text = `${MARKER_MAGIC}${JSON.stringify(m)}\n`;
  const buf = Buffer.alloc(sectorSize);
  if (Buffer.byteLength(text) > sectorSize) throw new RangeError('install marker larger than a sector');
  buf.write(text, 'utf8');
  return buf;
}

/** The marker in a sector's bytes, or undefined when the sector is not one. */
export function parseMarker(sector: Buffer): InstallMarker | undefined {
  if (sector.subarray(0, MARKER_MAGIC.length).toString('latin1') !== MARKER_MAGIC) return undefined;
  const rest = sector.subarray(MARKER_MAGIC.length);
  const end = rest.indexOf(0x0a);
  try {
    const v = JSON.parse(rest.subarray(0, end < 0 ? rest.length : end).toString('utf8')) as Partial<InstallMarker>;
    return {
      version: String(v.version ?? 'unknown'),
      started: String(v.started ?? ''),
      sourceDiskId: String(v.sourceDiskId ?? ''),
    };
  } catch {
    // The magic is ours even when the JSON line was cut: still an interrupted install of ours.
    return { version: 'unknown', started: '', sourceDiskId: '' };
  }
}
