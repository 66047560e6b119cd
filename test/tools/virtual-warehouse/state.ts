/**
 * What a warehouse made, in `<dir>/state.json`: written before each thing is made and updated
 * after, so that `down` (also after an `up` that failed half-way) removes exactly that and
 * nothing else. The names carry a prefix derived from the state folder, so two warehouses with
 * different folders, and the test labs (`nmd<pid>-…`), never share a name.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RecordedProcess } from './processes.js';

export const DEFAULT_DIR = '/run/nucmesh-warehouse';
export const STATE_FILE = 'state.json';

/** How the stand-in's Kubernetes side runs: real parts from a bin folder, or the placeholder and why. */
export type K8sMode = { real: true; binDir: string } | { real: false; reason: string };

export interface WarehouseNode {
  /** n1, n2, …: the name in this tool's output and of its folder. */
  name: string;
  netns: string;
  /** The bridge port (a veth in the LAN namespace). */
  port: string;
  address: string;
  /** The capture's folder name (its slug). */
  capture: string;
  /** The folder given to --hardware-from: the capture itself, or a copy with the serial override. */
  hardwareDir: string;
  /** Set when the capture is used by an earlier node too and would give it the same identity. */
  serialOverride?: string;
  dir: string;
  log: string;
  /** k3s' files: config, data dir and the admin kubeconfig (servers). */
  kubeconfig: string;
  agent?: RecordedProcess;
}

export interface WarehouseState {
  version: 1;
  dir: string;
  prefix: string;
  createdAt: string;
  lanNetns: string;
  fleetFile: string;
  k8s: K8sMode;
  /** undefined without --loss. */
  loss?: { percent: number; applied: boolean; reason?: string };
  nodes: WarehouseNode[];
}

/** `nmwh<4 hex>-`: the prefix of every namespace of the warehouse whose state is in `dir`. */
export function prefixFor(dir: string): string {
  return `nmwh${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 4)}-`;
}

export function stateFile(dir: string): string {
  return path.join(dir, STATE_FILE);
}

export function readState(dir: string): WarehouseState | undefined {
  const file = stateFile(dir);
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as WarehouseState;
  if (state.version !== 1) throw new Error(`${file} is not a virtual warehouse state of this version`);
  return state;
}

export function writeState(state: WarehouseState): void {
  const file = stateFile(state.dir);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
