/**
 * The node state as it is kept on disk, `<data-dir>/node-state.json`:
 *
 *   {"version": 1, "state": "server", "clusterId": "c1", "k3sPort": 6443, "updatedAt": "2026-…Z"}
 *
 * (`detail` too when the state has one). `toPersisted` / `fromPersisted` are pure (the latter
 * names every bad field); `readPersistedNodeState` and `persistNodeState` are the file edges.
 * The file is rewritten atomically (state-file.ts) on every change, so a power cut leaves the
 * old state or the new one. A file that is not valid is an error that says so (E_STATE_CORRUPT),
 * never a reset to a default: what the node was (a cluster server) must not be forgotten silently.
 */
import path from 'node:path';
import { NucmeshError, type ValidationIssue } from '../errors.js';
import { isNodeState, type NodeState, type NodeStateName, type NodeStateSnapshot } from './node-state.js';
import { readJsonFile, writeJsonFile } from './state-file.js';
import { CLUSTER_ID } from './wire.js';

export interface PersistedNodeState {
  version: 1;
  state: NodeStateName;
  clusterId: string;
  detail?: string;
  step?: string;
  k3sPort?: number;
  /** When the state was written (ISO 8601, UTC). */
  updatedAt: string;
}

export function nodeStateFile(dataDir: string): string {
  return path.join(dataDir, 'node-state.json');
}

export function toPersisted(s: Readonly<NodeStateSnapshot>, now: Date): PersistedNodeState {
  const doc: PersistedNodeState = { version: 1, state: s.state, clusterId: s.clusterId, updatedAt: now.toISOString() };
  if (s.detail !== undefined) doc.detail = s.detail;
  if (s.step !== undefined) doc.step = s.step;
  if (s.k3sPort !== undefined) doc.k3sPort = s.k3sPort;
  return doc;
}

function issuesOf(doc: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const bad = (field: string, message: string): number => issues.push({ path: `/${field}`, message });
  const { version, state, clusterId, detail, step, k3sPort, updatedAt } = doc;
  if (version !== 1) bad('version', `expected 1, got ${JSON.stringify(version)}`);
  if (typeof state !== 'string' || !isNodeState(state)) {
    bad('state', `expected a node state, got ${JSON.stringify(state)}`);
  }
  if (typeof clusterId !== 'string' || !CLUSTER_ID.test(clusterId)) bad('clusterId', 'expected a cluster ID or empty');
  if (detail !== undefined && typeof detail !== 'string') bad('detail', 'expected a sentence');
  if (step !== undefined && typeof step !== 'string') bad('step', 'expected a boot step name');
  const port = k3sPort as number;
  if (k3sPort !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
    bad('k3sPort', 'expected a port from 1 to 65535');
  }
  if (typeof updatedAt !== 'string' || Number.isNaN(Date.parse(updatedAt))) {
    bad('updatedAt', 'expected an ISO 8601 time');
  }
  return issues;
}

export interface LoadedNodeState {
  snapshot: NodeStateSnapshot;
  /** When it was written. */
  updatedAt: string;
}

/**
 * The snapshot a persisted document holds, and when it was written. Throws E_STATE_CORRUPT
 * naming `source` and every bad field.
 */
export function fromPersisted(doc: unknown, source: string): LoadedNodeState {
  const isObject = doc !== null && typeof doc === 'object' && !Array.isArray(doc);
  const issues = isObject ? issuesOf(doc as Record<string, unknown>) : [{ path: '/', message: 'expected an object' }];
  if (issues.length > 0) {
    const what = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    const message = `${source} is not a nucmesh node state (${what}); move it away to start from 'booting'`;
    throw new NucmeshError('E_STATE_CORRUPT', message, { data: { file: source, issues } });
  }
  const d = doc as PersistedNodeState;
  const snapshot: NodeStateSnapshot = { state: d.state, clusterId: d.clusterId };
  if (d.detail !== undefined) snapshot.detail = d.detail;
  if (d.step !== undefined) snapshot.step = d.step;
  if (d.k3sPort !== undefined) snapshot.k3sPort = d.k3sPort;
  return { snapshot, updatedAt: d.updatedAt };
}

/** The persisted state, or undefined when there is no file yet. E_STATE_CORRUPT / E_STATE_READ otherwise. */
export async function readPersistedNodeState(file: string): Promise<LoadedNodeState | undefined> {
  const doc = await readJsonFile<unknown>(file);
  return doc === undefined ? undefined : fromPersisted(doc, file);
}

export interface PersistOptions {
  /** Told of every failed write (the next change writes again); a failed write never throws. */
  onError(err: unknown): void;
  now?: () => Date;
  /** How a document is written (default: writeJsonFile, atomic). */
  write?: (file: string, doc: PersistedNodeState) => Promise<void>;
}

export interface NodeStatePersistence {
  /** Resolves once everything changed so far is written (or failed and was reported). */
  flushed(): Promise<void>;
  /** Stop following the state (writes already started still finish). */
  stop(): void;
}

/**
 * Writes the current state to `file` now and after every change. Writes never overlap: changes
 * made while one is under way are written once it is done, as one write of the latest state.
 */
export function persistNodeState(state: NodeState, file: string, o: PersistOptions): NodeStatePersistence {
  const write = o.write ?? ((f: string, doc: PersistedNodeState) => writeJsonFile(f, doc));
  const now = o.now ?? (() => new Date());
  let dirty = false;
  let running: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    while (dirty) {
      dirty = false;
      try {
        await write(file, toPersisted(state.current, now()));
      } catch (err) {
        o.onError(err);
      }
    }
    running = undefined;
  };
  const schedule = (): void => {
    dirty = true;
    running ??= drain();
  };
  state.on('change', schedule);
  schedule();
  return {
    flushed: async () => {
      while (running) await running;
    },
    stop: () => void state.off('change', schedule),
  };
}
