/** Parsers for the small sources: sensors, os-release, systemd-detect-virt, kernel release, TPM. Pure; never throw. */
import type { OsInfo } from '../types.js';
import { clean } from '../clean.js';

export interface SensorReading {
  chip: string;
  label: string;
  celsius: number;
}

/** `sensors` (lm-sensors) text → chips and their temperature readings. */
export function parseSensors(text: string): { chips: string[]; temperatures: SensorReading[] } {
  const chips: string[] = [];
  const temperatures: SensorReading[] = [];
  let chip: string | null = null;
  const lines = String(text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trimEnd();
    if (line === '') {
      chip = null;
      continue;
    }
    if (chip === null && !/:/.test(line) && /^Adapter:/.test(lines[i + 1] ?? '')) {
      chip = line.trim();
      chips.push(chip);
      continue;
    }
    if (chip === null) continue;
    const m = /^([^:]+):\s+([+-]?\d+(?:\.\d+)?)\s*°?C\b/.exec(line);
    if (m && m[1]) {
      const celsius = Number(m[2]);
      if (Number.isFinite(celsius)) temperatures.push({ chip, label: m[1].trim(), celsius });
    }
  }
  return { chips, temperatures };
}

/** `/etc/os-release` → id, pretty name, version. */
export function parseOsRelease(text: string): OsInfo {
  const f: Record<string, string> = {};
  for (const line of String(text).split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m && m[1]) f[m[1]] = (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2');
  }
  return {
    id: clean(f['ID']),
    name: clean(f['PRETTY_NAME'] ?? f['NAME']),
    version: clean(f['VERSION_ID'] ?? f['VERSION']),
  };
}

/** `systemd-detect-virt` → "kvm", "docker", …, or null for "none" (bare metal) and nonsense. */
export function parseVirt(text: string): string | null {
  const s = String(text).trim().split('\n')[0]?.trim() ?? '';
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(s) || s === 'none') return null;
  return s;
}

/** `/proc/sys/kernel/osrelease` → "6.1.0-18-amd64". */
export function parseKernel(text: string): string | null {
  const s = String(text).trim().split('\n')[0] ?? '';
  return /^[0-9][\w.+~-]{0,63}$/.test(s) ? s : null;
}

/** `tpm/devices` listing plus each `tpm_version_major` → present and "2.0"/"1.2". */
export function parseTpm(
  devices: string,
  versionMajor: (dev: string) => string | undefined,
): { present: boolean; version: string | null } {
  const devs = String(devices)
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => /^tpm\d+$/.test(s));
  if (devs.length === 0) return { present: false, version: null };
  for (const d of devs) {
    const major = (versionMajor(d) ?? '').trim();
    if (major === '2') return { present: true, version: '2.0' };
    if (major === '1') return { present: true, version: '1.2' };
  }
  return { present: true, version: null };
}
