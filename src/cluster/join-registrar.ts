/**
 * Who becomes a server: the registrar hands out the cluster's server slots and records every
 * assignment in `<data-dir>/join-ledger.json` (0600, atomic writes):
 *
 *   {"version": 1, "nextSeq": 3, "entries": [
 *     {"nodeId": "nuc-a", "role": "server", "seq": 1, "state": "ready"},
 *     {"nodeId": "nuc-b", "role": "server", "seq": 2, "state": "pending"}]}
 *
 * Rules (issue 10):
 * - The cluster decides the role: `server` while it has fewer than `servers` servers (the seed
 *   is slot 1), `agent` after that. Never more than `servers` server entries.
 * - Servers join one at a time (etcd takes one learner at a time, k3s#4335): while a server
 *   entry is `pending`, the next would-be server is told to wait; the entry turns `ready` once
 *   `isServerReady` says so. Agents are never held back.
 * - A pending grant whose node is not Ready `releaseAfterMs` (default 10 min, twice the 5 min
 *   k3s gives a learner before removing it) after it was granted, or after the registrar
 *   restarted, is released, so a dead joiner does not block the cluster for ever.
 * - Asking again gives the same role (a restarted joiner keeps its slot); the assignment is on
 *   disk before the answer leaves, so a restarted registrar never hands out a slot twice.
 * - Assignments are made one at a time (a queue), so concurrent asks cannot share a slot.
 *
 * One registrar per cluster: every server has its own data dir, so two servers each keeping a
 * ledger could grant two slots at once. Only the seed keeps the ledger (createLedgerRegistrar);
 * every other server answers "ask the seed" (askRegistrar), sealed like every answer, and the
 * joiner asks the seed (createJoinServer picks by its `registrarNodeId`). The
 * Registrar interface is what moves into the cluster later (a Lease or ConfigMap held by the
 * current registrar); until then a dead seed means no new servers or agents join (documented limit).
 */
import path from 'node:path';
import type { Logger } from '../log.js';
import { NucmeshError } from '../errors.js';
import { readJsonFile, writeJsonFile } from '../node/state-file.js';
import { NODE_ID } from '../node/wire.js';

export type Assignment =
  { kind: 'server' | 'agent' } | { kind: 'wait'; retryAfterMs: number } | { kind: 'ask'; registrarNodeId: string };

export interface Registrar {
  /** The role of `nodeId` (the same on every ask once given), or wait, or ask another node. */
  assign(nodeId: string): Promise<Assignment>;
}

export interface LedgerEntry {
  nodeId: string;
  role: 'server' | 'agent';
  /** Order of the grants, from 1 (the seed). */
  seq: number;
  /** Servers only: pending until the node is Ready as a cluster server. */
  state?: 'pending' | 'ready';
}

export interface JoinLedger {
  version: 1;
  nextSeq: number;
  entries: LedgerEntry[];
}

export const joinLedgerFile = (dataDir: string): string => path.join(dataDir, 'join-ledger.json');

/** Most entries a ledger holds (a fleet of NUCs is far smaller; beyond it joiners are told to wait). */
export const MAX_LEDGER_ENTRIES = 4096;

export interface LedgerRegistrarOptions {
  dataDir: string;
  /** The seed's own node ID: slot 1 of a new ledger. */
  selfNodeId: string;
  /** Servers wanted (fleet config `servers`, odd). */
  servers: number;
  isServerReady(nodeId: string): boolean;
  /** Monotonic milliseconds. */
  now(): number;
  log: Logger;
  releaseAfterMs?: number;
  /** What a joiner told to wait is told to wait for. */
  retryAfterMs?: number;
}

export const DEFAULT_RELEASE_AFTER_MS = 10 * 60_000;
export const DEFAULT_WAIT_MS = 10_000;

/** The ledger's entries checked, or E_STATE_CORRUPT naming the file: never reset silently. */
export function ledgerOf(doc: unknown, file: string): JoinLedger {
  const d = doc as Partial<JoinLedger> | null;
  const entries = d !== null && typeof d === 'object' && Array.isArray(d.entries) ? d.entries : undefined;
  const entryOk = (e: LedgerEntry): boolean =>
    e !== null &&
    typeof e === 'object' &&
    typeof e.nodeId === 'string' &&
    NODE_ID.test(e.nodeId) &&
    Number.isSafeInteger(e.seq) &&
    e.seq >= 1 &&
    ((e.role === 'server' && (e.state === 'pending' || e.state === 'ready')) ||
      (e.role === 'agent' && e.state === undefined));
  const ok =
    d?.version === 1 &&
    entries !== undefined &&
    entries.every(entryOk) &&
    Number.isSafeInteger(d.nextSeq) &&
    entries.every((e) => e.seq < (d.nextSeq as number)) &&
    new Set(entries.map((e) => e.nodeId)).size === entries.length;
  if (!ok) {
    const message = `${file} is not a nucmesh join ledger; it records the cluster's server slots, so it is never reset: fix or move it away by hand`;
    throw new NucmeshError('E_STATE_CORRUPT', message, { data: { file } });
  }
  return { version: 1, nextSeq: d.nextSeq as number, entries: entries.map((e) => ({ ...e })) };
}

export function createLedgerRegistrar(o: LedgerRegistrarOptions): Registrar & { ledger(): Promise<JoinLedger> } {
  const file = joinLedgerFile(o.dataDir);
  const releaseAfterMs = o.releaseAfterMs ?? DEFAULT_RELEASE_AFTER_MS;
  const wait: Assignment = { kind: 'wait', retryAfterMs: o.retryAfterMs ?? DEFAULT_WAIT_MS };
  let current: JoinLedger | undefined;
  /** When each pending grant was made, or the registrar (re)started: on our monotonic clock. */
  const pendingSince = new Map<string, number>();
  let queue: Promise<unknown> = Promise.resolve();

  const load = async (): Promise<JoinLedger> => {
    if (current) return current;
    const doc = await readJsonFile<unknown>(file);
    const ledger: JoinLedger =
      doc === undefined
        ? { version: 1, nextSeq: 2, entries: [{ nodeId: o.selfNodeId, role: 'server', seq: 1, state: 'ready' }] }
        : ledgerOf(doc, file);
    if (doc === undefined) await writeJsonFile(file, ledger);
    for (const e of ledger.entries) if (e.state === 'pending') pendingSince.set(e.nodeId, o.now());
    current = ledger;
    return ledger;
  };

  /** Pending servers that became Ready, or were given up on: the ledger to write, or undefined. */
  const settled = (ledger: JoinLedger): JoinLedger | undefined => {
    let changed = false;
    const entries: LedgerEntry[] = [];
    for (const e of ledger.entries) {
      if (e.state !== 'pending') entries.push(e);
      else if (o.isServerReady(e.nodeId)) {
        changed = true;
        entries.push({ ...e, state: 'ready' });
        o.log.info({ nodeId: e.nodeId, seq: e.seq }, 'joining server is Ready: its slot is settled');
      } else if (o.now() - (pendingSince.get(e.nodeId) ?? o.now()) >= releaseAfterMs) {
        changed = true;
        o.log.warn(
          { nodeId: e.nodeId, seq: e.seq, releaseAfterMs },
          'joining server never became Ready: its server slot is released',
        );
      } else entries.push(e);
    }
    return changed ? { ...ledger, entries } : undefined;
  };

  const decide = (ledger: JoinLedger, nodeId: string): { assignment: Assignment; next?: JoinLedger } => {
    const known = ledger.entries.find((e) => e.nodeId === nodeId);
    if (known) return { assignment: { kind: known.role } };
    if (ledger.entries.length >= MAX_LEDGER_ENTRIES) return { assignment: wait };
    const servers = ledger.entries.filter((e) => e.role === 'server');
    const role = servers.length >= o.servers ? 'agent' : 'server';
    if (role === 'server' && servers.some((e) => e.state === 'pending')) return { assignment: wait };
    const entry: LedgerEntry = {
      nodeId,
      role,
      seq: ledger.nextSeq,
      ...(role === 'server' ? { state: 'pending' } : {}),
    };
    return {
      assignment: { kind: role },
      next: { version: 1, nextSeq: ledger.nextSeq + 1, entries: [...ledger.entries, entry] },
    };
  };

  const assignNow = async (nodeId: string): Promise<Assignment> => {
    const loaded = await load();
    const afterSettling = settled(loaded);
    const { assignment, next } = decide(afterSettling ?? loaded, nodeId);
    const toWrite = next ?? afterSettling;
    if (toWrite) {
      // On disk before it takes effect: a failed write leaves the old ledger in force.
      await writeJsonFile(file, toWrite);
      for (const e of loaded.entries)
        if (!toWrite.entries.some((n) => n.nodeId === e.nodeId)) pendingSince.delete(e.nodeId);
      current = toWrite;
    }
    if (next && assignment.kind === 'server') pendingSince.set(nodeId, o.now());
    if (next) o.log.info({ nodeId, role: assignment.kind, seq: next.nextSeq - 1 }, 'join: role assigned');
    return assignment;
  };

  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    assign: (nodeId) => serially(() => assignNow(nodeId)),
    ledger: () => serially(async () => structuredClone(await load())),
  };
}

/** A server that is not the registrar: every joiner is sent to the registrar. */
export function askRegistrar(registrarNodeId: string): Registrar {
  return { assign: () => Promise.resolve({ kind: 'ask', registrarNodeId }) };
}

/**
 * The server role for a node the cluster marked to replace a lost server (its Node carries
 * `nucmesh.io/promote-to-server`, server-keeper.ts), whichever server it asks and whatever role a
 * ledger gave it before; every other joiner is `inner`'s. A failed look at the cluster falls back to `inner`.
 */
export function withPromotions(inner: Registrar, promoted: (nodeId: string) => Promise<boolean>): Registrar {
  return {
    async assign(nodeId) {
      const marked = await promoted(nodeId).catch(() => false);
      return marked ? { kind: 'server' } : inner.assign(nodeId);
    },
  };
}
