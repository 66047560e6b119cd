/** Reads the console banner (src/firstboot/console/banner.ts) back from console text. */

export interface ParsedBanner {
  version: string;
  fields: Record<string, string>;
  ips: string[];
  /** Where this banner ends in the text (to wait for a later one). */
  end: number;
}

const RULE = '='.repeat(72);

/** Every complete banner in the text, in order. */
export function parseBanners(text: string): ParsedBanner[] {
  const out: ParsedBanner[] = [];
  const re = new RegExp(`${RULE}\\n  nucmesh (\\S+)\\n${RULE}\\n([\\s\\S]*?)\\n${RULE}`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const fields: Record<string, string> = {};
    const ips: string[] = [];
    let lastKey = '';
    for (const line of (m[2] ?? '').split('\n')) {
      const key = line.slice(2, 11).trim();
      const value = line.slice(11).trim();
      if (key) lastKey = key;
      if (lastKey === 'IP') ips.push(value);
      else if (key) fields[key] = value;
      else if (lastKey && value) fields[lastKey] = `${fields[lastKey] ?? ''} ${value}`; // a wrapped value
    }
    out.push({ version: m[1] ?? '', fields, ips, end: m.index + m[0].length });
  }
  return out;
}

export function lastBanner(text: string): ParsedBanner | undefined {
  return parseBanners(text).at(-1);
}
