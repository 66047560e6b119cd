/**
 * Which network interfaces discovery runs on, and noticing when they change (a cable
 * plugged in after boot, a link flap, an address that arrives late) without a restart.
 * `selectInterfaces` is pure over `os.networkInterfaces()`-shaped input.
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';

export interface DiscoveryInterface {
  name: string;
  /** The interface's first IPv4 address and netmask (mDNS over IPv4 needs one). */
  ipv4: string;
  netmask: string;
  /** IPv6 link-local address, if any (advertised as AAAA by the responder). */
  ipv6LinkLocal?: string;
}

export type InterfaceMap = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

/** Names that are never physical LAN ports: loopback, bridges/tunnels of container runtimes. */
const VIRTUAL = /^(lo|docker\d*|veth|br-|virbr|cni|flannel|cali|vxlan|tun|tap|wg|kube|nm-br)/;

/**
 * Usable interfaces: up with an IPv4 address, not internal; restricted to `wanted` when given
 * (exact names), otherwise every interface that does not look virtual.
 */
export function selectInterfaces(all: InterfaceMap, wanted: readonly string[]): DiscoveryInterface[] {
  const out: DiscoveryInterface[] = [];
  for (const [name, addrs] of Object.entries(all)) {
    if (!addrs) continue;
    if (wanted.length > 0 ? !wanted.includes(name) : VIRTUAL.test(name)) continue;
    const v4 = addrs.find((a) => a.family === 'IPv4' && !a.internal);
    if (!v4) continue;
    const v6 = addrs.find((a) => a.family === 'IPv6' && !a.internal && a.address.toLowerCase().startsWith('fe80:'));
    const iface: DiscoveryInterface = { name, ipv4: v4.address, netmask: v4.netmask };
    if (v6) iface.ipv6LinkLocal = v6.address;
    out.push(iface);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function interfaceKey(i: DiscoveryInterface): string {
  return `${i.name}|${i.ipv4}|${i.netmask}|${i.ipv6LinkLocal ?? ''}`;
}

function ipv4ToInt(a: string): number {
  const p = a.split('.').map(Number);
  return (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0;
}

/** Is `address` in the IPv4 subnet of `iface`? */
export function inSubnet(iface: Pick<DiscoveryInterface, 'ipv4' | 'netmask'>, address: string): boolean {
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) return false;
  const mask = ipv4ToInt(iface.netmask);
  return (ipv4ToInt(iface.ipv4) & mask) === (ipv4ToInt(address) & mask);
}

/** Polls the interface list (cheap: one syscall) and reports additions and removals. */
export class InterfaceWatcher extends EventEmitter<{ added: [DiscoveryInterface]; removed: [DiscoveryInterface] }> {
  readonly #wanted: readonly string[];
  readonly #read: () => InterfaceMap;
  #known = new Map<string, DiscoveryInterface>();
  #timer: NodeJS.Timeout | undefined;

  constructor(wanted: readonly string[], read: () => InterfaceMap = os.networkInterfaces) {
    super();
    this.#wanted = wanted;
    this.#read = read;
  }

  get current(): DiscoveryInterface[] {
    return [...this.#known.values()];
  }

  /** Compare with the last poll and emit the differences. A changed address is removed + added. */
  poll(): void {
    const now = new Map(selectInterfaces(this.#read(), this.#wanted).map((i) => [interfaceKey(i), i]));
    for (const [k, i] of this.#known) if (!now.has(k)) this.emit('removed', i);
    const before = this.#known;
    this.#known = now;
    for (const [k, i] of now) if (!before.has(k)) this.emit('added', i);
  }

  start(intervalMs = 2000): void {
    this.poll();
    this.#timer = setInterval(() => this.poll(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
