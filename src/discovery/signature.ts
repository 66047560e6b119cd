/**
 * Advert signatures: the fleet key's MAC (fleet-crypto.ts, use `advert`) over a canonical
 * encoding of every advert field plus the instance name. The key never leaves the node; only
 * the MAC is sent. No clocks are involved: freshness comes from the generation counter (see
 * peer-table.ts).
 */
import { fleetMac, fleetMessage, verifyFleetMac } from '../node/fleet-crypto.js';
import type { AdvertFields } from './advert.js';
import { advertToTxt } from './advert.js';

/** What an advert signature covers: the instance name and the TXT pairs except `sig`, sorted by key. */
function signedParts(instance: string, fields: AdvertFields): [string, [string, string][]] {
  const txt = advertToTxt(fields);
  delete txt['sig'];
  const pairs = Object.keys(txt)
    .sort()
    .map((k): [string, string] => [k, txt[k] as string]);
  return [instance, pairs];
}

/** The canonical bytes a signature covers: a JSON array of the domain tag, the instance name and the pairs. */
export function canonicalAdvert(instance: string, fields: AdvertFields): Buffer {
  return fleetMessage('advert', signedParts(instance, fields));
}

export function signAdvert(key: Buffer, instance: string, fields: AdvertFields): string {
  return fleetMac(key, 'advert', signedParts(instance, fields));
}

export function verifyAdvert(key: Buffer, instance: string, fields: AdvertFields, signature: string): boolean {
  return verifyFleetMac(key, 'advert', signedParts(instance, fields), signature);
}
