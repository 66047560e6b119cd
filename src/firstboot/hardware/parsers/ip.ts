/** `ip -j link` and `ip -j addr` → interfaces with MACs and addresses. Pure; never throws. */
import { cleanMac } from '../clean.js';
import { isRecord, tryParseJson } from './json.js';

export interface IpLink {
  name: string;
  mac: string | null;
  /** The burned-in MAC when the kernel reports one different from the current (`permaddr`). */
  permanentMac: string | null;
  linkType: string | null;
  /** `eth0@if7` style peers and `link_netnsid` mark veth-like links. */
  hasPeer: boolean;
  kind: string | null;
}

function list(text: string): Record<string, unknown>[] {
  const doc = tryParseJson(text);
  return Array.isArray(doc) ? doc.filter(isRecord) : [];
}

export function parseIpLink(text: string): IpLink[] {
  const links: IpLink[] = [];
  for (const l of list(text)) {
    const name = typeof l['ifname'] === 'string' ? l['ifname'].trim() : '';
    if (!name) continue;
    const info = isRecord(l['linkinfo']) ? l['linkinfo'] : {};
    links.push({
      name,
      mac: cleanMac(l['address']),
      permanentMac: cleanMac(l['permaddr']),
      linkType: typeof l['link_type'] === 'string' ? l['link_type'] : null,
      hasPeer: 'link' in l || 'link_index' in l || 'link_netnsid' in l,
      kind: typeof info['info_kind'] === 'string' ? info['info_kind'] : null,
    });
  }
  return links;
}

/** Interface name → "address/prefix" strings, IPv4 first. */
export function parseIpAddr(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of list(text)) {
    const name = typeof l['ifname'] === 'string' ? l['ifname'].trim() : '';
    if (!name) continue;
    const infos = Array.isArray(l['addr_info']) ? l['addr_info'].filter(isRecord) : [];
    const addrs = infos
      .filter((a) => typeof a['local'] === 'string' && (a['family'] === 'inet' || a['family'] === 'inet6'))
      .sort((a, b) => (a['family'] === b['family'] ? 0 : a['family'] === 'inet' ? -1 : 1))
      .map((a) =>
        typeof a['prefixlen'] === 'number' ? `${String(a['local'])}/${a['prefixlen']}` : String(a['local']),
      );
    out.set(name, addrs);
  }
  return out;
}
