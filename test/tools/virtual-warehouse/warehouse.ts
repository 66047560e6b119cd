/**
 * `up` and `down`: a warehouse of N NUCs made and removed. `up` records each thing in the state
 * file before making it, and on any failure removes what it made; `down` stops the recorded
 * agents by PID (SIGTERM: each stops its k3s child; SIGKILL after a grace), then anything still
 * inside a namespace of the warehouse (a k3s child that outlived its agent), deletes the
 * namespaces (the bridge and veths go with them) and the state folder.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newFleetConfig, renderFleetConfig } from '../../../src/config/fleet.js';
import { agentEnv, k3sPaths, startAgent } from './agents.js';
import {
  assignCaptures,
  hasHardwareIdentity,
  listCaptures,
  serialOverride,
  writeOverriddenCapture,
} from './captures.js';
import { k8sEnv, k8sMode } from './k8s-mode.js';
import { addHost, addLan, addLoss, deleteNetns, listNetns, pidsIn } from './network.js';
import { recordProcess, stopProcesses, type RecordedProcess } from './processes.js';
import {
  prefixFor,
  readState,
  stateFile,
  writeState,
  type K8sMode,
  type WarehouseNode,
  type WarehouseState,
} from './state.js';

export const SUBNET = '10.88.0';
export const MAX_NODES = 200;

export interface UpOptions {
  dir: string;
  count: number;
  hardwareDir: string;
  lossPercent?: number;
  /** The stand-in's placeholder API even when the real parts are built. */
  placeholder?: boolean;
  say: (line: string) => void;
}

/** Why `up` must not run in `dir`, or undefined. */
export function upRefusal(dir: string, existing: readonly string[]): string | undefined {
  const state = readState(dir);
  if (state)
    return (
      `a virtual warehouse is already up in ${dir} (${state.nodes.length} NUCs since ${state.createdAt}): ` +
      "'status' shows it, 'down' removes it"
    );
  if (existsSync(dir) && readdirSync(dir).length > 0)
    return `${dir} is not empty and holds no warehouse state: give an empty or new folder with --dir`;
  const prefix = prefixFor(dir);
  const ours = existing.filter((ns) => ns.startsWith(prefix));
  if (ours.length > 0)
    return `network namespaces named like this warehouse's exist without its state (${ours.join(', ')}); delete them with 'ip netns del NAME'`;
  return undefined;
}

export async function up(o: UpOptions): Promise<WarehouseState> {
  const refusal = upRefusal(o.dir, listNetns());
  if (refusal) throw new Error(refusal);
  const captures = listCaptures(o.hardwareDir);
  const mode: K8sMode = o.placeholder ? { real: false, reason: 'up was given --placeholder' } : k8sMode();
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const prefix = prefixFor(o.dir);
  const fleetFile = path.join(o.dir, 'fleet.yaml');
  const state: WarehouseState = {
    version: 1,
    dir: o.dir,
    prefix,
    createdAt: new Date().toISOString(),
    lanNetns: `${prefix}lan`,
    fleetFile,
    k8s: mode,
    nodes: [],
  };
  writeState(state);
  try {
    writeFileSync(fleetFile, renderFleetConfig(newFleetConfig('warehouse')), { mode: 0o600 });
    addLan(state.lanNetns);
    const env = agentEnv(k8sEnv(mode));
    for (const [i, use] of assignCaptures(captures, o.count).entries()) {
      const node = await makeNode(state, i, use.capture, use.reuse, o.hardwareDir);
      state.nodes.push(node);
      writeState(state);
      addHost(node.netns, state.lanNetns, node.port, `${node.address}/24`);
      if (o.lossPercent !== undefined) applyLoss(state, node, o.lossPercent, o.say);
      node.agent = recordProcess(startAgent(node, fleetFile, env));
      writeState(state);
      o.say(`${node.name}: ${node.address} in ${node.netns}, ${node.capture}, agent PID ${node.agent.pid}`);
    }
    return state;
  } catch (e) {
    o.say(`up failed (${e instanceof Error ? e.message : String(e)}); removing what it made`);
    await down(o.dir, o.say);
    throw e;
  }
}

async function makeNode(
  state: WarehouseState,
  i: number,
  capture: string,
  reuse: number,
  hardwareDir: string,
): Promise<WarehouseNode> {
  const name = `n${i + 1}`;
  const dir = path.join(state.dir, 'nodes', name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const source = path.join(hardwareDir, capture);
  const node: WarehouseNode = {
    name,
    netns: `${state.prefix}${name}`,
    port: name,
    address: `${SUBNET}.${i + 1}`,
    capture,
    hardwareDir: source,
    dir,
    log: path.join(dir, 'agent.log'),
    kubeconfig: k3sPaths(dir).kubeconfig,
  };
  if (reuse > 0 && (await hasHardwareIdentity(source))) {
    const o = serialOverride(state.prefix, name);
    node.hardwareDir = path.join(dir, 'hardware');
    node.serialOverride = o.serial;
    writeOverriddenCapture(source, node.hardwareDir, o);
  }
  return node;
}

function applyLoss(state: WarehouseState, node: WarehouseNode, percent: number, say: (l: string) => void): void {
  if (state.loss && !state.loss.applied) return;
  const why = addLoss(state.lanNetns, node.port, percent);
  if (why === undefined) state.loss = { percent, applied: true };
  else {
    const reason = `this kernel has no netem qdisc (sch_netem): tc said "${why}"`;
    state.loss = { percent, applied: false, reason };
    say(`--loss ${percent}: not applied, ${reason}; going on without packet loss`);
  }
}

export interface DownReport {
  /** The recorded agents. */
  agents: number[];
  /** Processes found still inside the namespaces after the agents had stopped. */
  leftovers: number[];
  /** Those of both that needed SIGKILL. */
  killed: number[];
  namespaces: string[];
}

/** Removes the warehouse whose state is in `dir`; undefined when there is none. */
export async function down(dir: string, say: (line: string) => void): Promise<DownReport | undefined> {
  const state = readState(dir);
  if (!state) return undefined;
  const agents = state.nodes.map((n) => n.agent).filter((a): a is RecordedProcess => a !== undefined);
  const killed = await stopProcesses(agents, 15_000);
  const namespaces = [...state.nodes.map((n) => n.netns), state.lanNetns];
  // A process left inside a namespace of ours (a k3s child whose agent was killed) is ours too.
  const leftovers = namespaces
    .flatMap(pidsIn)
    .map(safeRecord)
    .filter((r): r is RecordedProcess => r !== undefined);
  killed.push(...(await stopProcesses(leftovers, 5000)));
  const existing = new Set(listNetns());
  const deleted = namespaces.filter((ns) => existing.has(ns) && deleteNetns(ns));
  if (existsSync(stateFile(dir))) rmSync(dir, { recursive: true, force: true });
  say(
    `down: ${agents.length} agents stopped, ${leftovers.length} processes left in the namespaces stopped ` +
      `(${killed.length} of all needed SIGKILL), ${deleted.length} namespaces deleted, ${dir} removed`,
  );
  return { agents: agents.map((a) => a.pid), leftovers: leftovers.map((l) => l.pid), killed, namespaces: deleted };
}

function safeRecord(pid: number): RecordedProcess | undefined {
  try {
    return recordProcess(pid);
  } catch {
    return undefined;
  }
}
