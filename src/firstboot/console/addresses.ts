/**
 * The node's own IP addresses worth showing: every IPv4 and global IPv6 address of every
 * real interface; IPv6 link-local only when there is nothing else (a cable without DHCP).
 */
import type { NetworkInterfaceInfo } from 'node:os';
import type { BannerAddress } from './banner.js';

/** Interfaces k3s and container runtimes create; their addresses are not the node's. */
const VIRTUAL = /^(cni|flannel|veth|docker|kube|cali|vxlan|tunl|lo)/;

export function bannerAddresses(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): BannerAddress[] {
  const out: BannerAddress[] = [];
  for (const [iface, infos] of Object.entries(ifaces).sort(([a], [b]) => a.localeCompare(b))) {
    if (VIRTUAL.test(iface)) continue;
    for (const i of infos ?? []) {
      if (i.internal) continue;
      out.push({ iface, address: i.address, family: i.family });
    }
  }
  const linkLocal6 = (a: BannerAddress) => a.family === 'IPv6' && a.address.toLowerCase().startsWith('fe80:');
  const shown = out.some((a) => !linkLocal6(a)) ? out.filter((a) => !linkLocal6(a)) : out;
  // IPv4 first: that is what a technician types.
  return shown.sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1));
}
