/**
 * Every use of the fleet key, in one place. The key never leaves a node: what goes on the
 * wire is the fleet ID (a hash of the key) and HMAC-SHA256 MACs made with it. Each use has
 * its own domain tag, listed once in DOMAIN_TAGS and put first in the bytes it covers, so a
 * MAC made for one use (an advert signature) can never pass for another (a heartbeat proof).
 * Pure functions over the key bytes; no I/O.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The domain tag of each use of the fleet key. A new use gets a new tag here, never a reused one. */
export const DOMAIN_TAGS = {
  /** The fleet ID: SHA-256 of this tag, a NUL and the key (a hash, not an HMAC). */
  fleetId: 'nucmesh fleet id',
  /** Advert signatures (src/discovery/signature.ts). */
  advert: 'nucmesh advert v1',
  /** Down notice MACs (src/discovery/down-notice.ts). */
  downNotice: 'nucmesh down v1',
  /** Heartbeat proofs (POST /v1/heartbeat). */
  heartbeat: 'nucmesh heartbeat v1',
  /** A joiner's proof of the fleet key (POST /v1/join, src/node/join-wire.ts). */
  joinRequest: 'nucmesh join request v1',
  /** A server's proof of the fleet key over its sealed join answer. */
  joinAnswer: 'nucmesh join answer v1',
  /** The HKDF info of the key a join answer is sealed with (not a MAC). */
  joinKey: 'nucmesh join v1',
  /** The AES-GCM additional data of a sealed join answer (not a MAC). */
  joinSealed: 'nucmesh join sealed v1',
} as const;
export type FleetKeyUse = keyof typeof DOMAIN_TAGS;
/** The uses that are tagged messages (MACs, and the join exchange's key info and additional data). */
export type MessageUse = Exclude<FleetKeyUse, 'fleetId'>;
/** The uses that are MACs. */
export type MacUse = Exclude<MessageUse, 'joinKey' | 'joinSealed'>;

/** Raw fleet key bytes (the config holds them in base64). */
export function fleetKeyBytes(cfg: { key: string }): Buffer {
  return Buffer.from(cfg.key, 'base64');
}

/**
 * The fleet ID: a public name for the fleet derived from its key (never the key itself).
 * Safe to put in mDNS TXT records, logs and labels. `key` is the config's base64 string.
 */
export function fleetId(key: string): string {
  const hash = createHash('sha256').update(`${DOMAIN_TAGS.fleetId}\u0000`).update(Buffer.from(key, 'base64'));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The bytes a MAC covers: a JSON array of the use's domain tag and the parts. JSON's quoting
 * makes the encoding unambiguous (no two part lists give the same bytes).
 */
export function fleetMessage(use: MessageUse, parts: readonly unknown[]): Buffer {
  return Buffer.from(JSON.stringify([DOMAIN_TAGS[use], ...parts]), 'utf8');
}

/** HMAC-SHA256(fleet key, fleetMessage(use, parts)), base64url (43 characters). */
export function fleetMac(key: Buffer, use: MacUse, parts: readonly unknown[]): string {
  return createHmac('sha256', key).update(fleetMessage(use, parts)).digest('base64url');
}

/** Constant-time comparison of an expected MAC with a received base64url one. */
export function macMatches(expected: Buffer | string, givenBase64url: string): boolean {
  const want = typeof expected === 'string' ? Buffer.from(expected, 'base64url') : expected;
  const given = Buffer.from(givenBase64url, 'base64url');
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Does `mac` verify as the fleet key's MAC of `parts` for `use`? Constant time. */
export function verifyFleetMac(key: Buffer, use: MacUse, parts: readonly unknown[], mac: string): boolean {
  return macMatches(fleetMac(key, use, parts), mac);
}

/** A fresh random nonce for a heartbeat (base64url, 22 characters). */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The authenticated heartbeat's proof: the fleet key's MAC of the prober's nonce, the
 * answering node's ID and its advert generation. A fresh nonce per probe makes an answer
 * unreplayable, and only a holder of the fleet key can compute it; no secret is sent.
 */
export function heartbeatProof(key: Buffer, nonce: string, nodeId: string, generation: number): string {
  return fleetMac(key, 'heartbeat', [nonce, nodeId, generation]);
}

export function verifyHeartbeatProof(
  key: Buffer,
  nonce: string,
  nodeId: string,
  generation: number,
  proof: string,
): boolean {
  return verifyFleetMac(key, 'heartbeat', [nonce, nodeId, generation], proof);
}
