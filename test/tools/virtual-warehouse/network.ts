/**
 * The warehouse LAN: a bridge (`br0`) in a namespace of its own and one namespace per NUC, joined
 * by a veth pair (the NUC's `eth0`, the bridge port named after the node), with a multicast route
 * because there is no default route (as test/netns/harness.ts does; see the platform facts). Every
 * name comes from the warehouse's state, so only what it made is ever touched. Packet loss is
 * netem on the bridge ports: each packet is dropped with that chance on its way to a NUC.
 */
import { execFileSync } from 'node:child_process';

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * The network namespaces that exist now (`ip netns list`, names only). Its stderr is dropped: while
 * other namespaces are being deleted it prints "Peer netns reference is invalid" for them.
 */
export function listNetns(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** The LAN namespace with its bridge: no STP, no forward delay, no multicast snooping (mDNS needs it off). */
export function addLan(netns: string): void {
  ip(['netns', 'add', netns]);
  ip(['-n', netns, 'link', 'set', 'lo', 'up']);
  ip(['-n', netns, 'link', 'add', 'br0', 'type', 'bridge']);
  ip(['-n', netns, 'link', 'set', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  ip(['-n', netns, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
  ip(['-n', netns, 'link', 'set', 'br0', 'up']);
}

/** A NUC's namespace with `eth0` at `address` (with prefix), plugged into the LAN as port `port`. */
export function addHost(netns: string, lanNetns: string, port: string, address: string): void {
  ip(['netns', 'add', netns]);
  ip(['-n', netns, 'link', 'set', 'lo', 'up']);
  ip(['-n', netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', lanNetns]);
  ip(['-n', lanNetns, 'link', 'set', port, 'master', 'br0', 'up']);
  ip(['-n', netns, 'addr', 'add', address, 'dev', 'eth0']);
  ip(['-n', netns, 'link', 'set', 'eth0', 'multicast', 'on', 'up']);
  ip(['-n', netns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0']);
}

/**
 * netem loss on a bridge port; undefined when applied, else why not (a kernel without sch_netem
 * answers "Specified qdisc kind is unknown").
 */
export function addLoss(lanNetns: string, port: string, percent: number): string | undefined {
  try {
    const args = ['-n', lanNetns, 'qdisc', 'replace', 'dev', port, 'root', 'netem', 'loss', `${percent}%`];
    execFileSync('tc', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return undefined;
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    return stderr || (e as Error).message;
  }
}

/** The root qdisc of a bridge port as `tc qdisc show` prints it. */
export function qdiscOf(lanNetns: string, port: string): string {
  return execFileSync('tc', ['-n', lanNetns, 'qdisc', 'show', 'dev', port], { encoding: 'utf8' }).trim();
}

/** PIDs of the processes inside a namespace (`ip netns pids`). */
export function pidsIn(netns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Deletes a namespace (its interfaces go with it); false when it was not there. */
export function deleteNetns(netns: string): boolean {
  try {
    ip(['netns', 'del', netns]);
    return true;
  } catch {
    return false;
  }
}
