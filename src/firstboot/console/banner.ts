/**
 * The console banner: what a technician sees when plugging a monitor into a node (and
 * what the serial console shows). A pure render function of plain data; gathering the
 * data and writing it to the consoles live in their own modules.
 */

export interface BannerAddress {
  iface: string;
  address: string;
  family: 'IPv4' | 'IPv6';
}

export interface BannerInfo {
  version: string;
  model: string | null;
  serial: string | null;
  nodeId: string | null;
  hostname: string;
  addresses: BannerAddress[];
  state: string;
  /** The cluster the node seeds, joins or belongs to (its role is the state: seeding, server, agent…). */
  cluster?: string;
  /** Why the node cannot go on and what to do (blocked states). */
  detail?: string;
  apiPort: number;
  /** Why the API is not listening, when it is not. */
  apiProblem?: string;
  /** Root file system size and free space in bytes, when known. */
  rootFs?: { size: number; free: number };
  /** A line of progress under the state (the installer's percentage and rate). */
  progress?: string;
  /** The one word to read from afar (drawn in large letters) and its sentence, e.g. the install's outcome. */
  headline?: { word: string; sentence: string };
}

const RULE = '='.repeat(72);

import { bigText } from './big-text.js';

/** `1.5 GiB`-style sizes. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** The address to put in the API URL: the first non-link-local IPv4, else any IPv4, else IPv6. */
export function primaryAddress(addresses: BannerAddress[]): BannerAddress | undefined {
  const v4 = addresses.filter((a) => a.family === 'IPv4');
  return v4.find((a) => !a.address.startsWith('169.254.')) ?? v4[0] ?? addresses[0];
}

export function apiUrl(addresses: BannerAddress[], port: number): string {
  const a = primaryAddress(addresses);
  if (!a) return '(no address yet)';
  const host = a.family === 'IPv6' ? `[${a.address}%${a.iface}]` : a.address;
  return `https://${host}:${port}/`;
}

/** Words of `text` in lines of at most `width` characters (a longer word stands alone). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

const VALUE_WIDTH = 72 - 11;

/** The banner as lines of text, no trailing newline. Unknown values show as "unknown". */
export function renderBanner(info: BannerInfo): string {
  const known = (v: string | null) => (v && v.trim() ? v.trim() : 'unknown');
  const addrs = info.addresses.length
    ? info.addresses.map((a) => `${a.address} (${a.iface})`)
    : ['(none yet: no network?)'];
  const rows: [string, string][] = [
    ['Model', known(info.model)],
    ['Serial', known(info.serial)],
    ['Node ID', known(info.nodeId)],
    ['Hostname', info.hostname],
    ['State', info.state],
  ];
  if (info.cluster) rows.push(['Cluster', info.cluster]);
  if (info.progress) rows.push(['Progress', info.progress]);
  // What to do, right under the state: the one thing a technician must read.
  wrapText(info.detail ?? '', VALUE_WIDTH).forEach((l, i) => rows.push([i === 0 ? 'Why' : '', l]));
  rows.push(['API', info.apiProblem ? `not listening: ${info.apiProblem}` : apiUrl(info.addresses, info.apiPort)]);
  if (info.rootFs) rows.push(['Disk', `root ${formatBytes(info.rootFs.size)} (${formatBytes(info.rootFs.free)} free)`]);
  const label = (s: string) => `  ${s.padEnd(9)}`;
  const lines = [RULE, `  nucmesh ${info.version}`, RULE];
  for (const [k, v] of rows) lines.push(`${label(k)}${v}`);
  addrs.forEach((a, i) => lines.push(`${label(i === 0 ? 'IP' : '')}${a}`));
  lines.push(RULE);
  // Under the rest: in large letters, then the sentence.
  if (info.headline) {
    lines.push('', ...bigText(info.headline.word).map((l) => `  ${l}`), '');
    lines.push(...wrapText(info.headline.sentence, 70).map((l) => `  ${l}`), RULE);
  }
  return lines.join('\n');
}
