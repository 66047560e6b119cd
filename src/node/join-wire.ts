/**
 * The join exchange on the wire: how a joiner proves the fleet key to a server peer, and how the
 * server proves it back and hands over the role, the k3s server URL and a k3s token, sealed.
 * Pure functions and shapes; the server side is src/cluster/join-server.ts, the joiner's
 * src/cluster/join-client.ts, the HTTP routes src/api/routes/join.ts.
 *
 *   1. joiner → server  POST /v1/join/challenge {fleetId}
 *      server → joiner  {challenge, serverNodeId, expiresInMs}   (32 random bytes, one-time)
 *   2. joiner → server  POST /v1/join {fleetId, nodeId, challenge, nonce, proof}
 *        proof  = HMAC(K, [joinRequest tag, fleetId, challenge, joinerId, nonce, serverId])
 *      server → joiner  {iv, sealed, proof}
 *        key    = HKDF-SHA256(K, salt = challenge | nonce, info = [joinKey tag, fleetId, joinerId, serverId])
 *        sealed = AES-256-GCM(key, iv, decision JSON,
 *                             aad = [joinSealed tag, fleetId, challenge, nonce, joinerId, serverId])
 *        proof  = HMAC(K, [joinAnswer tag, fleetId, challenge, nonce, joinerId, serverId, iv, sealed])
 *
 * Why each part (K is the fleet key, which never leaves a node; the fleet ID is a hash of it):
 * - The server's challenge makes the joiner's proof one-time without clocks: the server keeps
 *   each challenge until it is used once or its own monotonic clock says it expired, so a
 *   recorded request is refused when replayed. A challenge is spent by the first request that
 *   names it, whether its proof verifies or not: one guess per challenge.
 * - The joiner's nonce makes the server's answer fresh for the joiner: a rogue that recorded an
 *   old exchange can replay the old challenge, but not a proof over the new nonce. So mutual
 *   authentication needs no clock on either side.
 * - Both node IDs are in every MAC, the key and the additional data: a proof or answer made
 *   for one pair of nodes does not pass for another, and the answer is bound to the request.
 * - Each use has its own domain tag (fleet-crypto.ts): a joiner's proof can never be reflected
 *   back as a server's proof, nor an advert signature pass for either.
 * - The server's proof covers the sealed bytes (encrypt-then-MAC), so the joiner checks it in
 *   constant time before it decrypts anything; GCM authenticates the plaintext again under a
 *   key used for this one exchange (a fresh challenge and nonce in the salt), so a random IV
 *   can never repeat under one key. A relay in the middle can pass messages on but learns nothing
 *   and can change nothing: the joiner ends up in the real cluster or in none.
 * - Only whoever holds K can take part: every node of the fleet is trusted with the cluster's
 *   tokens (that is what the fleet key means); a device without K gets a refusal, and a joiner
 *   accepts nothing from a "server" without K. A joiner's node ID is its own claim, trusted as
 *   far as the key holder is (the same trust signed adverts carry).
 * - Nothing here reads a clock: expiry is the server's own monotonic clock, freshness the nonce.
 * The decision inside is the role with the server URL and token, or "wait" (a server slot is
 * being filled), or "ask" (another server grants server slots); all three are authenticated, so
 * a rogue can neither hand out tokens nor make a joiner wait or look elsewhere.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { fleetMac, fleetMessage, verifyFleetMac } from './fleet-crypto.js';
import { CLUSTER_ID, NODE_ID } from './wire.js';

/** A challenge or nonce: 32 random bytes, base64url (43 characters). */
export const JOIN_RANDOM = /^[A-Za-z0-9_-]{43}$/;
/** The AES-GCM IV: 12 bytes, base64url. */
export const JOIN_IV = /^[A-Za-z0-9_-]{16}$/;
/** Longest sealed decision (base64url): room for a token of MAX_TOKEN_LENGTH and a URL. */
export const MAX_SEALED_LENGTH = 2048;
/** Longest k3s token accepted. */
export const MAX_TOKEN_LENGTH = 512;

/**
 * A full k3s token (k3s pkg/clientaccess/token.go): `K10` and the SHA-256 of the cluster CA in
 * hex, `::`, a user name, `:` and the password. Only this form pins the CA: a bare secret lets a
 * joiner trust whatever server answers first.
 */
export const FULL_K3S_TOKEN = /^K10[0-9a-f]{64}::[A-Za-z0-9._-]+:[\x21-\x7e]+$/;

export function isFullK3sToken(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && FULL_K3S_TOKEN.test(token);
}

/** A k3s server URL as a joiner is told it: `https://` an IP address (IPv6 in brackets) and a port. */
export function isK3sServerUrl(url: string): boolean {
  const m = /^https:\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+):([1-9][0-9]{0,4})$/.exec(url);
  if (!m) return false;
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  const ipv6 = (m[1] as string).startsWith('[');
  return isIP(host) === (ipv6 ? 6 : 4) && port <= 65535;
}

export type JoinRole = 'server' | 'agent';

export interface JoinChallengeRequest {
  fleetId: string;
}

export interface JoinChallengeAnswer {
  challenge: string;
  serverNodeId: string;
  /** How long the challenge stays valid on the server's own clock. */
  expiresInMs: number;
}

export interface JoinRequest {
  fleetId: string;
  /** The joiner's node ID. */
  nodeId: string;
  challenge: string;
  nonce: string;
  proof: string;
}

export interface JoinAnswer {
  iv: string;
  sealed: string;
  proof: string;
}

/** What a server decided for a joiner (sealed in the answer). */
export type JoinDecision =
  | { decision: 'join'; role: JoinRole; serverUrl: string; token: string; clusterId: string }
  /** A server slot is being filled (servers join one at a time): ask again after this long. */
  | { decision: 'wait'; retryAfterMs: number }
  /** This server does not grant server slots: ask the registrar. */
  | { decision: 'ask'; registrarNodeId: string };

/** Why a server gave no answer (the HTTP routes map each to a status and error code). */
export type JoinRefusal =
  /** Any failed check: wrong key, unknown fleet, unknown, reused or expired challenge, bad proof. */
  | { refusal: 'refused' }
  /** Too many failures (or requests) from this source. */
  | { refusal: 'rate-limited'; retryAfterMs: number }
  /** The server cannot answer now (its tokens are not readable or not in the full K10 form). */
  | { refusal: 'unavailable' };

export function isRefusal(x: object): x is JoinRefusal {
  return 'refusal' in x;
}

/** What the API routes need of a join server (src/cluster/join-server.ts implements it). */
export interface JoinEndpoint {
  /** A refusal (counted) when `source` is over its request or failure rate (answer 429); else undefined. */
  admit(source: string): JoinRefusal | undefined;
  challenge(body: JoinChallengeRequest, source: string): JoinChallengeAnswer | JoinRefusal;
  join(body: JoinRequest, source: string): Promise<JoinAnswer | JoinRefusal>;
  /** A request that could not be read (not JSON, not the schema): counted as a failure of `source`. */
  garbage(source: string): void;
}

/** The parties of one exchange. */
export interface JoinParties {
  fleetId: string;
  challenge: string;
  nonce: string;
  joinerNodeId: string;
  serverNodeId: string;
}

export function newJoinRandom(): string {
  return randomBytes(32).toString('base64url');
}

export function joinerProof(key: Buffer, p: JoinParties): string {
  return fleetMac(key, 'joinRequest', [p.fleetId, p.challenge, p.joinerNodeId, p.nonce, p.serverNodeId]);
}

export function verifyJoinerProof(key: Buffer, p: JoinParties, proof: string): boolean {
  return verifyFleetMac(key, 'joinRequest', [p.fleetId, p.challenge, p.joinerNodeId, p.nonce, p.serverNodeId], proof);
}

function answerParts(p: JoinParties, iv: string, sealed: string): unknown[] {
  return [p.fleetId, p.challenge, p.nonce, p.joinerNodeId, p.serverNodeId, iv, sealed];
}

function answerKey(key: Buffer, p: JoinParties): Buffer {
  const salt = Buffer.concat([Buffer.from(p.challenge, 'base64url'), Buffer.from(p.nonce, 'base64url')]);
  const info = fleetMessage('joinKey', [p.fleetId, p.joinerNodeId, p.serverNodeId]);
  return Buffer.from(hkdfSync('sha256', key, salt, info, 32));
}

function additionalData(p: JoinParties): Buffer {
  return fleetMessage('joinSealed', [p.fleetId, p.challenge, p.nonce, p.joinerNodeId, p.serverNodeId]);
}

/** The server's answer: the decision sealed under this exchange's key, and its proof over the sealed bytes. */
export function sealJoinAnswer(key: Buffer, p: JoinParties, decision: JoinDecision): JoinAnswer {
  const ivBytes = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', answerKey(key, p), ivBytes);
  cipher.setAAD(additionalData(p));
  const body = Buffer.concat([cipher.update(JSON.stringify(decision), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  const iv = ivBytes.toString('base64url');
  const sealed = body.toString('base64url');
  return { iv, sealed, proof: fleetMac(key, 'joinAnswer', answerParts(p, iv, sealed)) };
}

export type OpenedAnswer = { ok: true; decision: JoinDecision } | { ok: false; why: 'bad-server-proof' | 'garbled' };

/**
 * The joiner's side: checks the server's proof (constant time) before decrypting, then GCM's
 * tag, then that the decision is one a server sends (a full K10 token, an https://IP:port URL).
 */
export function openJoinAnswer(key: Buffer, p: JoinParties, answer: JoinAnswer): OpenedAnswer {
  if (!verifyFleetMac(key, 'joinAnswer', answerParts(p, answer.iv, answer.sealed), answer.proof)) {
    return { ok: false, why: 'bad-server-proof' };
  }
  const body = Buffer.from(answer.sealed, 'base64url');
  if (!JOIN_IV.test(answer.iv) || body.length < 17) return { ok: false, why: 'garbled' };
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', answerKey(key, p), Buffer.from(answer.iv, 'base64url'));
    decipher.setAAD(additionalData(p));
    decipher.setAuthTag(body.subarray(body.length - 16));
    text = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return { ok: false, why: 'garbled' };
  }
  const decision = decisionOf(text);
  return decision ? { ok: true, decision } : { ok: false, why: 'garbled' };
}

/** A decision read from JSON, or undefined when it is not exactly one of the three shapes. */
export function decisionOf(text: string): JoinDecision | undefined {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return undefined;
  const keys = Object.keys(d).sort().join(',');
  const { decision, role, serverUrl, token, clusterId, retryAfterMs, registrarNodeId } = d;
  if (decision === 'join' && keys === 'clusterId,decision,role,serverUrl,token') {
    const ok =
      (role === 'server' || role === 'agent') &&
      typeof serverUrl === 'string' &&
      isK3sServerUrl(serverUrl) &&
      typeof token === 'string' &&
      isFullK3sToken(token) &&
      typeof clusterId === 'string' &&
      CLUSTER_ID.test(clusterId) &&
      clusterId !== '';
    return ok ? { decision, role, serverUrl, token, clusterId } : undefined;
  }
  if (decision === 'wait' && keys === 'decision,retryAfterMs') {
    const ok = Number.isSafeInteger(retryAfterMs) && (retryAfterMs as number) >= 0;
    return ok ? { decision, retryAfterMs: retryAfterMs as number } : undefined;
  }
  if (decision === 'ask' && keys === 'decision,registrarNodeId') {
    return typeof registrarNodeId === 'string' && NODE_ID.test(registrarNodeId)
      ? { decision, registrarNodeId }
      : undefined;
  }
  return undefined;
}
