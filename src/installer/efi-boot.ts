/**
 * The firmware's boot entries (`efibootmgr` output): which entry boots a given EFI partition,
 * so the installer adds one for the internal disk only when it is missing, puts it first in
 * BootOrder and sets BootNext to it. Pure parsers; the runner is in install-io.ts.
 */

export interface BootEntry {
  /** Four hex digits, e.g. "0003". */
  num: string;
  label: string;
  active: boolean;
  /** The GPT partition UUID in the entry's device path, lower case, when it has one. */
  partUuid?: string;
}

export interface BootVars {
  entries: BootEntry[];
  order: string[];
  next?: string;
  current?: string;
}

export function parseEfibootmgr(text: string): BootVars {
  const vars: BootVars = { entries: [], order: [] };
  for (const line of text.split('\n')) {
    const order = /^BootOrder:\s*(.*)$/.exec(line);
    if (order?.[1] !== undefined)
      vars.order = order[1]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    const next = /^BootNext:\s*([0-9A-Fa-f]{4})/.exec(line);
    if (next?.[1]) vars.next = next[1].toUpperCase();
    const cur = /^BootCurrent:\s*([0-9A-Fa-f]{4})/.exec(line);
    if (cur?.[1]) vars.current = cur[1].toUpperCase();
    const e = /^Boot([0-9A-Fa-f]{4})(\*?)\s+(.*)$/.exec(line);
    if (e?.[1] && e[3] !== undefined) {
      const rest = e[3];
      const hd = /HD\(\d+,GPT,([0-9a-fA-F-]{36})/.exec(rest);
      const label =
        rest
          .split('\t')[0]
          ?.replace(/\s+(HD|PciRoot|VenHw|Fv|MemoryMapped)\(.*$/, '')
          .trim() ?? '';
      const entry: BootEntry = { num: e[1].toUpperCase(), label, active: e[2] === '*' };
      if (hd?.[1]) entry.partUuid = hd[1].toLowerCase();
      vars.entries.push(entry);
    }
  }
  return vars;
}

/** The entry that boots the EFI partition with this UUID, if any. */
export function entryForPartition(vars: BootVars, partUuid: string): BootEntry | undefined {
  return vars.entries.find((e) => e.partUuid === partUuid.toLowerCase());
}

/** BootOrder with `num` first (and only once). */
export function orderWithFirst(order: readonly string[], num: string): string[] {
  return [num, ...order.filter((n) => n !== num)];
}
