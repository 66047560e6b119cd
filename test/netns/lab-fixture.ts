/**
 * The one setup of a network-namespace test file: a lab (harness.ts) whose LANs and hosts are
 * made on demand with addresses from each LAN's subnet, a fleet config file, discovery nodes
 * and `nucmesh` commands started on its hosts, and guaranteed cleanup. Creating the fixture
 * registers a node:test `after` hook that kills the processes the lab started (by PID) and
 * deletes the namespaces it created and the fleet directories it made (by path), never anything
 * found by name; the lab's process exit hook does the same if the run dies first.
 *
 *   const fx = labFixture({ subnet: '10.61.0' });   // LAN 'a' is 10.61.0.0/24
 *   test('…', { skip: fx.skip }, async () => {
 *     fx.addHosts(['n1', 'n2']);                    // 10.61.0.1, 10.61.0.2
 *     const n1 = fx.startNode('n1');                 // node ID n1, data dir <fleet dir>/n1
 *   });
 */
import { after } from 'node:test';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { FleetConfig } from '../../src/config/fleet.js';
import { fleetId, fleetKeyBytes } from '../../src/node/fleet-crypto.js';
import { cliPath } from '../helpers/paths.js';
import { NetnsLab, netnsAvailable, type LabHost, type Spawned } from './harness.js';
import { makeFleet, startNode } from './nodes.js';

export interface LabFleet {
  /** The fleet config file (mode 0600). */
  file: string;
  /** Its temp directory: nodes' data dirs and scratch files go here. */
  dir: string;
  config: FleetConfig;
  key: Buffer;
  fleetId: string;
}

export interface LabFixtureOptions {
  /** Name of the lab's fleet (default 'lab'). */
  fleet?: string;
  /** First three octets of LAN 'a', e.g. '10.61.0'. */
  subnet: string;
  /** Further LANs by name, with their subnets. */
  lans?: Record<string, string>;
  /** Further skip reasons (a tool or kernel feature missing), checked when netns itself works. */
  needs?: (() => string | false)[];
}

export interface HostOptions {
  /** LAN name (default 'a'). */
  lan?: string;
  /** Last octet of the address (default: the LAN's next one, from 1). */
  octet?: number;
}

export interface NodeOptions {
  /** Node ID (default the host name); also the name of its data dir in the fleet dir. */
  nodeId?: string;
  fleet?: LabFleet;
  /** Interfaces to use (default: every one of the host). */
  ifaces?: string[];
  env?: NodeJS.ProcessEnv;
}

export class LabFixture {
  readonly skip: string | false;
  readonly #subnets: Map<string, string>;
  readonly #madeLans = new Set<string>();
  readonly #octets = new Map<string, number>();
  readonly #nodes = new Map<string, Spawned>();
  readonly #fleetDirs: string[] = [];
  readonly #fleetName: string;
  #lab: NetnsLab | undefined;
  #fleet: LabFleet | undefined;

  constructor(o: LabFixtureOptions) {
    this.skip = netnsAvailable() || (o.needs ?? []).reduce<string | false>((why, need) => why || need(), false);
    this.#subnets = new Map(Object.entries({ a: o.subnet, ...o.lans }));
    this.#fleetName = o.fleet ?? 'lab';
  }

  /** The lab; made on first use (never when the tests are skipped). */
  get lab(): NetnsLab {
    if (this.skip) throw new Error(`the lab is not available: ${this.skip}`);
    this.#lab ??= new NetnsLab();
    return this.#lab;
  }

  /** The lab's fleet config, made on first use. */
  get fleet(): LabFleet {
    this.#fleet ??= this.newFleet(this.#fleetName);
    return this.#fleet;
  }

  /** Another fleet config in a directory of its own (removed at cleanup). */
  newFleet(name: string): LabFleet {
    const { file, dir, config } = makeFleet(name);
    this.#fleetDirs.push(dir);
    return { file, dir, config, key: fleetKeyBytes(config), fleetId: fleetId(config.key) };
  }

  /** A host with one interface on a LAN (made on first use), at `<subnet>.<octet>/24`. */
  addHost(name: string, o: HostOptions = {}): LabHost {
    const lan = o.lan ?? 'a';
    const subnet = this.#subnets.get(lan);
    if (!subnet) throw new Error(`no subnet for LAN '${lan}': list it in labFixture({ lans })`);
    if (!this.#madeLans.has(lan)) {
      this.lab.addLan(lan);
      this.#madeLans.add(lan);
    }
    const octet = o.octet ?? (this.#octets.get(lan) ?? 0) + 1;
    if (o.octet === undefined) this.#octets.set(lan, octet);
    return this.lab.addHost(name, [{ lan, address: `${subnet}.${octet}/24` }]);
  }

  /** Hosts on LAN 'a' at its next addresses, in order. */
  addHosts(names: readonly string[]): LabHost[] {
    return names.map((n) => this.addHost(n));
  }

  /** A discovery node (test/netns/discovery-node.ts) on a host, known afterwards by its node ID. */
  startNode(host: string, o: NodeOptions = {}): Spawned {
    const nodeId = o.nodeId ?? host;
    const fleet = o.fleet ?? this.fleet;
    const dataDir = path.join(fleet.dir, nodeId);
    const node = startNode(this.lab, host, fleet.file, dataDir, nodeId, o.ifaces ?? [], o.env ?? {});
    this.#nodes.set(nodeId, node);
    return node;
  }

  /** A node started with startNode, by node ID. */
  node(nodeId: string): Spawned {
    const n = this.#nodes.get(nodeId);
    if (!n) throw new Error(`no node '${nodeId}' started in this lab`);
    return n;
  }

  get nodeIds(): string[] {
    return [...this.#nodes.keys()];
  }

  /** `nucmesh agent` on a host with the lab's fleet and a data dir of its own (JSON logs). */
  startAgent(host: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Spawned {
    const dataDir = path.join(this.fleet.dir, host);
    const argv = [cliPath, 'agent', '--fleet', this.fleet.file, '--data-dir', dataDir, ...args];
    return this.lab.spawn(host, process.execPath, argv, { NUCMESH_LOG_FORMAT: 'json', ...env });
  }

  /** Run `nucmesh ARGS` to completion on a host. */
  cli(host: string, args: string[], timeoutMs?: number): ReturnType<NetnsLab['run']> {
    return this.lab.run(host, process.execPath, [cliPath, ...args], timeoutMs);
  }

  /** Kill what the lab started (by PID), delete its namespaces and the fleet directories made here. */
  async cleanup(): Promise<void> {
    await this.#lab?.cleanup();
    for (const dir of this.#fleetDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** A lab fixture for this test file, cleaned up after its tests (see the header). */
export function labFixture(o: LabFixtureOptions): LabFixture {
  const fx = new LabFixture(o);
  after(() => fx.cleanup());
  return fx;
}
