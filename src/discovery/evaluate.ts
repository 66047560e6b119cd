/**
 * What a resolved DNS-SD service says about a peer, judged against our fleet: parsed and
 * validated TXT fields, whether it belongs to our fleet and whether its signature verifies.
 * Pure; used by the peer table and by `nucmesh peers` (which may have no fleet key).
 */
import { errorMessage } from '../errors.js';
import { advertFromTxt, parseTxtStrings, type SignedAdvert } from './advert.js';
import type { ResolvedService, ServiceAddress } from './browser.js';
import { verifyAdvert } from './signature.js';

export type Verdict = 'ok' | 'invalid' | 'other-fleet' | 'bad-signature' | 'unverified';

export interface EvaluatedService {
  instance: string;
  host: string;
  port: number;
  addresses: ServiceAddress[];
  advert?: SignedAdvert;
  fleetMatches: boolean;
  verified: boolean;
  verdict: Verdict;
  /** Why it is not ok, naming the field. */
  problem?: string;
}

export interface FleetView {
  fleetId?: string;
  key?: Buffer;
}

export function evaluateService(svc: ResolvedService, fleet: FleetView): EvaluatedService {
  const base = { instance: svc.instance, host: svc.host, port: svc.port, addresses: svc.addresses };
  const { txt, issues } = parseTxtStrings(svc.txt);
  let advert: SignedAdvert;
  try {
    if (issues.length > 0) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    advert = advertFromTxt(txt);
  } catch (e) {
    return {
      ...base,
      fleetMatches: false,
      verified: false,
      verdict: 'invalid',
      problem: errorMessage(e).replace(/\n\s*/g, ' '),
    };
  }
  const fleetMatches = fleet.fleetId !== undefined && advert.fleetId === fleet.fleetId;
  if (fleet.fleetId !== undefined && !fleetMatches)
    return {
      ...base,
      advert,
      fleetMatches,
      verified: false,
      verdict: 'other-fleet',
      problem: `fleet ID ${advert.fleetId} is not ours`,
    };
  if (!fleet.key)
    return {
      ...base,
      advert,
      fleetMatches,
      verified: false,
      verdict: 'unverified',
      problem: 'no fleet key to verify with',
    };
  const verified = verifyAdvert(fleet.key, svc.instance, advert, advert.signature);
  if (!verified)
    return {
      ...base,
      advert,
      fleetMatches,
      verified,
      verdict: 'bad-signature',
      problem: 'signature does not verify with the fleet key',
    };
  return { ...base, advert, fleetMatches, verified, verdict: 'ok' };
}
