/**
 * What this node decided about its cluster, kept in `<data-dir>/cluster.json` (atomic writes,
 * state-file.ts), so a crash, `kill -9` or power cut at any step never makes it seed a second
 * cluster or forget which cluster it joins:
 *
 *   {"version": 1, "formation": "seed", "clusterId": "lab-3f9c0e1a", "everReady": false}
 *
 * `everReady` turns true once k3s was Ready on this node: from then on the node belongs to that
 * cluster for good (a seed that never got there may still give way to a cluster that formed
 * meanwhile). `rejoin` is set by `nucmesh reset --rejoin`: the cluster to join, nothing else.
 * The secrets (the seed's tokens, a joiner's token) are in their own 0600 files, never here.
 */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { NucmeshError, type ValidationIssue, ValidationError } from '../errors.js';
import { readJsonFile, writeJsonFile } from '../node/state-file.js';
import { CLUSTER_ID, NODE_ID } from '../node/wire.js';
import type { JoinSecret } from './ports.js';

export interface ClusterRecord {
  version: 1;
  formation: 'seed' | 'join';
  clusterId: string;
  everReady: boolean;
}

export interface RejoinRequest {
  version: 1;
  clusterId: string;
}

export interface SeedTokens {
  token: string;
  agentToken: string;
}

export const clusterRecordFile = (dataDir: string): string => path.join(dataDir, 'cluster.json');
export const rejoinFile = (dataDir: string): string => path.join(dataDir, 'rejoin.json');
export const seedTokensFile = (dataDir: string): string => path.join(dataDir, 'seed-tokens.json');
export const joinSecretFile = (dataDir: string): string => path.join(dataDir, 'join-secret.json');
/** Written by `nucmesh leave`: the node stays out of every cluster until `nucmesh reset --rejoin`. */
export const leftFile = (dataDir: string): string => path.join(dataDir, 'left.json');

export interface LeftRecord {
  version: 1;
  clusterId: string;
  at: string;
}

/** A new cluster's ID: the fleet name and 8 random hex digits (a valid CLUSTER_ID, at most 64). */
export function newClusterId(fleetName: string): string {
  return `${fleetName.slice(0, 55)}-${randomBytes(4).toString('hex')}`;
}

function check(what: string, issues: ValidationIssue[]): void {
  if (issues.length > 0) throw new ValidationError(what, issues);
}

function clusterIdIssue(v: unknown, issues: ValidationIssue[]): void {
  if (typeof v !== 'string' || v === '' || !CLUSTER_ID.test(v))
    issues.push({ path: '/clusterId', message: 'expected a cluster ID' });
}

export async function readClusterRecord(dataDir: string): Promise<ClusterRecord | undefined> {
  const doc = await readJsonFile<Record<string, unknown>>(clusterRecordFile(dataDir));
  if (doc === undefined) return undefined;
  const issues: ValidationIssue[] = [];
  if (doc['version'] !== 1) issues.push({ path: '/version', message: 'expected 1' });
  if (doc['formation'] !== 'seed' && doc['formation'] !== 'join')
    issues.push({ path: '/formation', message: "expected 'seed' or 'join'" });
  clusterIdIssue(doc['clusterId'], issues);
  if (typeof doc['everReady'] !== 'boolean') issues.push({ path: '/everReady', message: 'expected true or false' });
  check(clusterRecordFile(dataDir), issues);
  return doc as unknown as ClusterRecord;
}

export function writeClusterRecord(dataDir: string, r: ClusterRecord): Promise<void> {
  return writeJsonFile(clusterRecordFile(dataDir), r);
}

export function removeClusterRecord(dataDir: string): Promise<void> {
  return rm(clusterRecordFile(dataDir), { force: true });
}

export async function readRejoin(dataDir: string): Promise<RejoinRequest | undefined> {
  const doc = await readJsonFile<Record<string, unknown>>(rejoinFile(dataDir));
  if (doc === undefined) return undefined;
  const issues: ValidationIssue[] = [];
  clusterIdIssue(doc['clusterId'], issues);
  check(rejoinFile(dataDir), issues);
  return { version: 1, clusterId: doc['clusterId'] as string };
}

/** The seed's k3s tokens: made once (random), kept 0600, so a restarted seed keeps its cluster's. */
export async function seedTokens(dataDir: string): Promise<SeedTokens> {
  const file = seedTokensFile(dataDir);
  const known = await readJsonFile<Partial<SeedTokens>>(file);
  if (known?.token && known.agentToken) return { token: known.token, agentToken: known.agentToken };
  if (known) throw new NucmeshError('E_STATE_CORRUPT', `${file} has no tokens; move it away`, { data: { file } });
  const made = { token: randomBytes(24).toString('hex'), agentToken: randomBytes(24).toString('hex') };
  await writeJsonFile(file, made, 0o600);
  return made;
}

export async function readJoinSecret(dataDir: string): Promise<JoinSecret | undefined> {
  const doc = await readJsonFile<Partial<JoinSecret>>(joinSecretFile(dataDir));
  if (doc === undefined) return undefined;
  const issues: ValidationIssue[] = [];
  if (doc.role !== 'server' && doc.role !== 'agent')
    issues.push({ path: '/role', message: "expected 'server' or 'agent'" });
  if (typeof doc.serverUrl !== 'string' || !doc.serverUrl.startsWith('https://'))
    issues.push({ path: '/serverUrl', message: 'expected an https:// URL' });
  if (typeof doc.token !== 'string' || doc.token === '') issues.push({ path: '/token', message: 'expected a token' });
  if (typeof doc.grantedBy !== 'string' || !NODE_ID.test(doc.grantedBy))
    issues.push({ path: '/grantedBy', message: 'expected a node ID' });
  check(joinSecretFile(dataDir), issues);
  return doc as JoinSecret;
}

export function removeJoinSecret(dataDir: string): Promise<void> {
  return rm(joinSecretFile(dataDir), { force: true });
}

export function writeJoinSecret(dataDir: string, s: JoinSecret): Promise<void> {
  return writeJsonFile(joinSecretFile(dataDir), s, 0o600);
}

export async function readLeft(dataDir: string): Promise<LeftRecord | undefined> {
  const doc = await readJsonFile<Record<string, unknown>>(leftFile(dataDir));
  if (doc === undefined) return undefined;
  const issues: ValidationIssue[] = [];
  clusterIdIssue(doc['clusterId'], issues);
  if (typeof doc['at'] !== 'string') issues.push({ path: '/at', message: 'expected a time' });
  check(leftFile(dataDir), issues);
  return doc as unknown as LeftRecord;
}

/** The node left `clusterId`: its cluster files go (a rejoin request too), the mark stays. */
export async function recordLeft(dataDir: string, clusterId: string, at: Date): Promise<void> {
  for (const f of [clusterRecordFile(dataDir), joinSecretFile(dataDir), seedTokensFile(dataDir), rejoinFile(dataDir)])
    await rm(f, { force: true });
  await writeJsonFile(leftFile(dataDir), { version: 1, clusterId, at: at.toISOString() } satisfies LeftRecord);
}
