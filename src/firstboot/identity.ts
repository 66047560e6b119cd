/**
 * Node identity: a stable ID derived from the hardware, so the same NUC gets the same ID
 * after a reinstall. Sources in order: DMI system UUID, system serial, board serial, the
 * permanent MAC of the first physical NIC, else a random ID generated once. Placeholders
 * never count (the inventory has them as null already). Persisted in `<dataDir>/identity.json`:
 * once written, the persisted identity is used, so it never changes under a running fleet.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { NucmeshError } from '../errors.js';
import type { Inventory, NicInfo } from './hardware/types.js';
import { readJsonFile, writeJsonFile } from '../node/state-file.js';

export type IdentitySource = 'dmi-uuid' | 'system-serial' | 'board-serial' | 'mac' | 'random';

export interface NodeIdentity {
  /** 32 lower-case hex digits (128 bits). */
  nodeId: string;
  /** The first 8 hex digits of nodeId: for names. */
  short: string;
  /** `nuc-<short>`: a valid DNS label. */
  hostname: string;
  source: IdentitySource;
}

interface IdentityFile extends NodeIdentity {
  version: 1;
  createdAt: string;
}

export const SHORT_LENGTH = 8;

export function identityFile(dataDir: string): string {
  return path.join(dataDir, 'identity.json');
}

function fromId(nodeId: string, source: IdentitySource): NodeIdentity {
  const short = nodeId.slice(0, SHORT_LENGTH);
  return { nodeId, short, hostname: `nuc-${short}`, source };
}

function hashId(source: IdentitySource, value: string): string {
  return createHash('sha256').update(`nucmesh-node-id/v1\0${source}\0${value}`).digest('hex').slice(0, 32);
}

/** Wired before wireless, then by name: a deterministic "first physical NIC". */
export function firstPhysicalNic(nics: NicInfo[]): NicInfo | undefined {
  const physical = nics.filter((n) => !n.virtual && (n.permanentMac ?? n.mac) !== null);
  const wireless = (n: NicInfo) => (/^wl/.test(n.name) ? 1 : 0);
  return physical.sort((a, b) => wireless(a) - wireless(b) || a.name.localeCompare(b.name))[0];
}

/**
 * The hardware-derived identity, or null when the hardware offers nothing stable.
 * Pure: same inventory → same identity.
 */
export function deriveIdentity(inv: Inventory): NodeIdentity | null {
  const candidates: [IdentitySource, string | null][] = [
    ['dmi-uuid', inv.system.uuid?.toLowerCase() ?? null],
    ['system-serial', inv.system.serial],
    ['board-serial', inv.board.serial],
  ];
  const nic = firstPhysicalNic(inv.nics);
  candidates.push(['mac', nic ? (nic.permanentMac ?? nic.mac) : null]);
  for (const [source, value] of candidates) {
    if (value !== null && value.trim() !== '') return fromId(hashId(source, value.trim()), source);
  }
  return null;
}

export function randomIdentity(): NodeIdentity {
  return fromId(randomBytes(16).toString('hex'), 'random');
}

function validPersisted(v: unknown): v is IdentityFile {
  if (!v || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o['nodeId'] === 'string' &&
    /^[0-9a-f]{32}$/.test(o['nodeId']) &&
    typeof o['source'] === 'string' &&
    ['dmi-uuid', 'system-serial', 'board-serial', 'mac', 'random'].includes(o['source'])
  );
}

export async function loadIdentity(dataDir: string): Promise<NodeIdentity | undefined> {
  const file = identityFile(dataDir);
  const v = await readJsonFile<unknown>(file);
  if (v === undefined) return undefined;
  if (!validPersisted(v))
    throw new NucmeshError(
      'E_IDENTITY_CORRUPT',
      `${file} is not a nucmesh identity; move it away to derive the identity afresh`,
      { data: { file } },
    );
  return fromId(v.nodeId, v.source);
}

/** The persisted identity, or derive one from the hardware (random when it offers nothing) and persist it. */
export async function loadOrCreateIdentity(
  dataDir: string,
  inv: Inventory,
  now: () => Date = () => new Date(),
): Promise<NodeIdentity> {
  const existing = await loadIdentity(dataDir);
  if (existing) return existing;
  const identity = deriveIdentity(inv) ?? randomIdentity();
  const record: IdentityFile = { version: 1, ...identity, createdAt: now().toISOString() };
  await writeJsonFile(identityFile(dataDir), record, 0o644);
  return identity;
}
