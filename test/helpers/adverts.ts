/** Resolved services carrying signed adverts, and a peer table holding them, for the discovery policy tests. */
import { randomBytes } from 'node:crypto';
import { advertToTxt, type AdvertFields } from '../../src/discovery/advert.js';
import type { ResolvedService } from '../../src/discovery/browser.js';
import { PeerTable } from '../../src/discovery/peer-table.js';
import { signAdvert } from '../../src/discovery/signature.js';

export const FLEET = '0123456789abcdef';

export function signedService(key: Buffer, nodeId: string, f: Partial<AdvertFields> = {}): ResolvedService {
  const instance = `nuc-${nodeId}`;
  const fields: AdvertFields = {
    version: 1,
    nodeId,
    fleetId: FLEET,
    state: 'forming',
    clusterId: '',
    generation: 1,
    ...f,
  };
  return resolvedService(instance, advertToTxt({ ...fields, signature: signAdvert(key, instance, fields) }));
}

/** A resolved `_nucmesh._tcp` instance with these TXT pairs, at 10.0.0.2 on eth0. */
export function resolvedService(instance: string, txt: Record<string, string>): ResolvedService {
  return {
    key: `${instance}._nucmesh._tcp.local`,
    instance,
    host: `${instance}.local`,
    port: 8443,
    txt: Object.entries(txt).map(([k, v]) => Buffer.from(`${k}=${v}`)),
    addresses: [{ address: '10.0.0.2', iface: 'eth0' }],
  };
}

/** A table for node `self` of fleet FLEET holding the given peers (live), and its key. */
export function tableWith(peers: string[], self = 'me', key = randomBytes(32)): { table: PeerTable; key: Buffer } {
  const table = new PeerTable({ selfNodeId: self, fleetId: FLEET, key });
  for (const id of peers) table.observe(signedService(key, id));
  return { table, key };
}

interface Due {
  fn: () => void;
  ms: number;
}

/** A Schedule that keeps what it is given, for tests to run when they choose. */
export function manualSchedule(): { schedule: (fn: () => void, ms: number) => void; due: Due[] } {
  const due: Due[] = [];
  return { schedule: (fn, ms) => void due.push({ fn, ms }), due };
}
