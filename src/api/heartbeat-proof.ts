/**
 * The authenticated heartbeat's proof: HMAC-SHA256(fleet key, tag ‖ nonce ‖ node ID ‖
 * generation). The prober picks a fresh random nonce, so an answer cannot be replayed, and
 * only a holder of the fleet key can compute it. No secret goes on the wire. The domain tag
 * keeps these MACs distinct from advert signatures.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TAG = 'nucmesh heartbeat v1';

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function heartbeatProof(key: Buffer, nonce: string, nodeId: string, generation: number): string {
  return createHmac('sha256', key).update(JSON.stringify([TAG, nonce, nodeId, generation])).digest('base64url');
}

export function verifyHeartbeatProof(key: Buffer, nonce: string, nodeId: string, generation: number, proof: string): boolean {
  const expected = Buffer.from(heartbeatProof(key, nonce, nodeId, generation), 'base64url');
  const given = Buffer.from(proof, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
