/**
 * Advert signatures: HMAC-SHA256 with the fleet key over a canonical encoding of every
 * advert field plus the instance name. The key never leaves the node; only the MAC is sent.
 * No clocks are involved: freshness comes from the generation counter (see peer-table.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AdvertFields } from './advert.js';
import { advertToTxt } from './advert.js';

const DOMAIN = 'nucmesh advert v1';

/**
 * Canonical bytes: a JSON array of the domain tag, the instance name and the TXT pairs
 * (except `sig`) sorted by key. JSON's quoting makes the encoding unambiguous.
 */
export function canonicalAdvert(instance: string, fields: AdvertFields): Buffer {
  const txt = advertToTxt(fields);
  delete txt['sig'];
  const pairs = Object.keys(txt)
    .sort()
    .map((k) => [k, txt[k] as string]);
  return Buffer.from(JSON.stringify([DOMAIN, instance, pairs]), 'utf8');
}

export function signAdvert(key: Buffer, instance: string, fields: AdvertFields): string {
  return createHmac('sha256', key).update(canonicalAdvert(instance, fields)).digest('base64url');
}

export function verifyAdvert(key: Buffer, instance: string, fields: AdvertFields, signature: string): boolean {
  return macMatches(Buffer.from(signAdvert(key, instance, fields), 'base64url'), signature);
}

/** Constant-time comparison of an expected MAC with a received base64url one. */
export function macMatches(expected: Buffer, givenBase64url: string): boolean {
  const given = Buffer.from(givenBase64url, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
