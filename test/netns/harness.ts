/**
 * A reusable multi-host lab in Linux network namespaces (needs root): LANs are bridges in
 * their own namespaces, hosts are namespaces with one veth per LAN (eth0, eth1, ...), with a
 * multicast route (there is no default route). Per-host netem loss/delay and partitions
 * (link down). Every name carries a per-run prefix (`nmd<pid>-<n>`), and `cleanup()` kills
 * the processes it started (by PID) and deletes exactly the namespaces it created, also from
 * a process exit hook when a test fails or throws.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

let labCounter = 0;
const liveLabs = new Set<NetnsLab>();
process.on('exit', () => {
  for (const lab of liveLabs) lab.cleanupSync();
});

export interface LabHost {
  name: string;
  netns: string;
  /** Interface name → address. */
  addresses: Record<string, string>;
}

export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Lines of stdout parsed as JSON (pino logs), skipping anything else. */
  logs: () => Record<string, unknown>[];
  exited: Promise<number | null>;
  /** Write one line to its stdin. */
  send: (line: string) => void;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function netnsAvailable(): string | false {
  if (process.getuid?.() !== 0) return 'network namespace tests need root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'iproute2 (ip netns) is not available';
  }
}

const capabilityChecks = new Map<string, string | false>();

/**
 * Runs `commands` (each an `ip` argument list, `NS` standing for a scratch namespace) once per
 * process; the skip reason `unavailable` if any fails, else false. The namespace is removed.
 */
function checkCapability(name: string, commands: string[][], unavailable: string): string | false {
  const known = capabilityChecks.get(name);
  if (known !== undefined) return known;
  const ns = `nmd${process.pid}-${name}check`;
  let result: string | false = false;
  try {
    execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
    for (const args of commands)
      execFileSync(
        'ip',
        args.map((a) => (a === 'NS' ? ns : a)),
        { stdio: 'ignore' },
      );
  } catch {
    result = unavailable;
  } finally {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // it was never created
    }
  }
  capabilityChecks.set(name, result);
  return result;
}

/** Skip reason when nftables cannot run in a namespace of ours (checked once). */
export function nftUnavailable(): string | false {
  return checkCapability(
    'nft',
    [['netns', 'exec', 'NS', 'nft', 'add', 'table', 'inet', 'probe']],
    'nftables (nft) is not usable in a network namespace here, so packet loss cannot be emulated',
  );
}

/** Skip reason when this kernel has no netem qdisc (checked once, in a namespace of our own). */
export function netemUnavailable(): string | false {
  return checkCapability(
    'netem',
    [
      ['-n', 'NS', 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb'],
      ['netns', 'exec', 'NS', 'tc', 'qdisc', 'add', 'dev', 'va', 'root', 'netem', 'delay', '1ms'],
    ],
    'this kernel has no netem qdisc (tc: "Specified qdisc kind is unknown"), so loss/delay cannot be emulated',
  );
}

export class NetnsLab {
  readonly prefix: string;
  readonly #namespaces: string[] = [];
  readonly #lans = new Map<string, string>();
  readonly #hosts = new Map<string, LabHost & { links: Map<string, { lan: string; peer: string }> }>();
  readonly #children = new Set<ChildProcess>();
  #hostIndex = 0;

  constructor() {
    this.prefix = `nmd${process.pid}-${labCounter++}-`;
    liveLabs.add(this);
  }

  #addNetns(name: string): string {
    const ns = this.prefix + name;
    ip(['netns', 'add', ns]);
    this.#namespaces.push(ns);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A LAN segment: a bridge (no STP, no forward delay, no multicast snooping). */
  addLan(name: string): string {
    const ns = this.#addNetns(`lan-${name}`);
    ip(['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
    ip([
      '-n',
      ns,
      'link',
      'set',
      'br0',
      'type',
      'bridge',
      'stp_state',
      '0',
      'forward_delay',
      '0',
      'mcast_snooping',
      '0',
    ]);
    ip(['-n', ns, 'link', 'set', 'br0', 'up']);
    this.#lans.set(name, ns);
    return ns;
  }

  /** A host with one interface per LAN: `links` maps LAN name → address with prefix (e.g. 10.9.0.1/24). */
  addHost(name: string, links: { lan: string; address: string }[]): LabHost {
    const ns = this.#addNetns(name);
    const idx = this.#hostIndex++;
    const host = {
      name,
      netns: ns,
      addresses: {} as Record<string, string>,
      links: new Map<string, { lan: string; peer: string }>(),
    };
    links.forEach((l, i) => this.#link(host, `eth${i}`, l.lan, l.address, idx, i));
    this.#hosts.set(name, host);
    return host;
  }

  #link(
    host: LabHost & { links: Map<string, { lan: string; peer: string }> },
    ifname: string,
    lan: string,
    address: string,
    hostIdx: number,
    linkIdx: number,
  ): void {
    const lanNs = this.#lans.get(lan);
    if (!lanNs) throw new Error(`no LAN '${lan}' in this lab`);
    const peer = `h${hostIdx}l${linkIdx}`;
    ip(['-n', host.netns, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', peer, 'netns', lanNs]);
    ip(['-n', lanNs, 'link', 'set', peer, 'master', 'br0', 'up']);
    ip(['-n', host.netns, 'addr', 'add', address, 'dev', ifname]);
    ip(['-n', host.netns, 'link', 'set', ifname, 'multicast', 'on', 'up']);
    if (linkIdx === 0) ip(['-n', host.netns, 'route', 'add', '224.0.0.0/4', 'dev', ifname]);
    host.addresses[ifname] = address.split('/')[0] as string;
    host.links.set(ifname, { lan, peer });
  }

  /** Plug a new interface into a running host (hot-plug). */
  plug(hostName: string, lan: string, address: string): string {
    const host = this.host(hostName) as LabHost & { links: Map<string, { lan: string; peer: string }> };
    const i = host.links.size;
    const hostIdx = [...this.#hosts.keys()].indexOf(hostName);
    this.#link(host, `eth${i}`, lan, address, hostIdx, i);
    return `eth${i}`;
  }

  host(name: string): LabHost {
    const h = this.#hosts.get(name);
    if (!h) throw new Error(`no host '${name}' in this lab`);
    return h;
  }

  /** Loss/delay on a host's interface, e.g. `netem(h, 'eth0', ['loss', '20%', 'delay', '50ms'])`. */
  netem(hostName: string, ifname: string, params: string[]): void {
    execFileSync(
      'ip',
      ['netns', 'exec', this.host(hostName).netns, 'tc', 'qdisc', 'replace', 'dev', ifname, 'root', 'netem', ...params],
      { stdio: 'ignore' },
    );
  }

  /** Drop every mDNS packet (UDP port 5353) arriving at a host: it hears no multicast at all, TCP still works. */
  blockMdnsInput(hostName: string, fromAddress?: string): void {
    const ns = this.host(hostName).netns;
    const nft = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { stdio: 'ignore' });
    nft('add', 'table', 'inet', 'nmmdns');
    nft('add', 'chain', 'inet', 'nmmdns', 'in', '{ type filter hook input priority 0; }');
    nft(
      'add',
      'rule',
      'inet',
      'nmmdns',
      'in',
      ...(fromAddress ? ['ip', 'saddr', fromAddress] : []),
      'udp',
      'dport',
      '5353',
      'drop',
    );
  }

  /** Undo blockMdnsInput. */
  unblockMdnsInput(hostName: string): void {
    execFileSync('ip', ['netns', 'exec', this.host(hostName).netns, 'nft', 'delete', 'table', 'inet', 'nmmdns'], {
      stdio: 'ignore',
    });
  }

  /**
   * Random packet loss on a host's interface, both directions, with nftables (works where the
   * kernel has no netem qdisc, as on the build machine; nftables cannot add delay).
   */
  loss(hostName: string, ifname: string, percent: number): void {
    const ns = this.host(hostName).netns;
    const nft = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { stdio: 'ignore' });
    nft('add', 'table', 'inet', 'nmloss');
    for (const [chain, hook, dir] of [
      ['in', 'input', 'iifname'],
      ['out', 'output', 'oifname'],
    ] as const) {
      nft('add', 'chain', 'inet', 'nmloss', chain, `{ type filter hook ${hook} priority 0; }`);
      nft(
        'add',
        'rule',
        'inet',
        'nmloss',
        chain,
        dir,
        ifname,
        'numgen',
        'random',
        'mod',
        '100',
        '<',
        String(percent),
        'drop',
      );
    }
  }

  /** Cut (or restore) a host's link to its LAN at the bridge side. */
  partition(hostName: string, ifname = 'eth0', cut = true): void {
    const h = this.#hosts.get(hostName);
    const link = h?.links.get(ifname);
    if (!h || !link) throw new Error(`no link ${hostName}/${ifname}`);
    ip(['-n', this.#lans.get(link.lan) as string, 'link', 'set', link.peer, cut ? 'down' : 'up']);
  }

  /** Run a command inside a host's namespace; tracked for cleanup. */
  spawn(hostName: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
    const child = spawn('ip', ['netns', 'exec', this.host(hostName).netns, cmd, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#children.add(child);
    child.stdin?.on('error', () => undefined);
    let out = '';
    let err = '';
    // Unparsed tail of stdout: logs() parses only what arrived since, never the whole output
    // (benchmarks poll the logs of 50 nodes many times a second; searching the whole string
    // each time cost the parent so much CPU that children blocked writing to their pipes).
    let pending = '';
    const parsed: Record<string, unknown>[] = [];
    child.stdout?.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      pending += text;
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        this.#children.delete(child);
        resolve(code);
      }),
    );
    return {
      child,
      stdout: () => out,
      stderr: () => err,
      logs: () => {
        const end = pending.lastIndexOf('\n') + 1;
        if (end > 0) {
          for (const l of pending.slice(0, end).split('\n')) {
            if (!l.startsWith('{')) continue;
            try {
              parsed.push(JSON.parse(l) as Record<string, unknown>);
            } catch {
              // not a log line
            }
          }
          pending = pending.slice(end);
        }
        return parsed;
      },
      exited,
      send: (line: string) => void child.stdin?.write(line + '\n'),
    };
  }

  /**
   * SIGKILL every process in a host's namespace, by the PIDs `ip netns pids` lists (a power cut:
   * the agent and what it started that is no child of the lab, such as k3s' parts).
   */
  killAllIn(hostName: string): void {
    const pids = execFileSync('ip', ['netns', 'pids', this.host(hostName).netns], { encoding: 'utf8' });
    for (const pid of pids.split('\n').filter(Boolean))
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
  }

  /** Run a command to completion inside a host's namespace. */
  run(
    hostName: string,
    cmd: string,
    args: string[],
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const s = this.spawn(hostName, cmd, args);
    const timer = setTimeout(() => s.child.kill('SIGKILL'), timeoutMs);
    return s.exited.then((code) => {
      clearTimeout(timer);
      return { code, stdout: s.stdout(), stderr: s.stderr() };
    });
  }

  async cleanup(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const c of this.#children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        waits.push(new Promise((r) => c.once('close', r)));
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await Promise.race([Promise.all(waits), new Promise((r) => setTimeout(r, 3000))]);
    this.cleanupSync();
  }

  /** Synchronous part of cleanup, also run from the exit hook. */
  cleanupSync(): void {
    for (const c of this.#children) {
      if (c.pid !== undefined && c.exitCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    this.#children.clear();
    for (const ns of this.#namespaces.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already deleted
      }
    }
    liveLabs.delete(this);
  }
}

/** Poll `check` every `everyMs` until it returns a value (not undefined/false) or time runs out. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
