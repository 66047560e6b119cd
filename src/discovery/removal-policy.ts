/**
 * The removal policy: a live peer whose mDNS records go away is checked against the peer
 * itself (an authenticated heartbeat) before it loses its place in the peer table.
 *
 * - Goodbyes are unauthenticated multicast: anyone could send one for any instance. A node
 *   that really stops fails its heartbeats first (503) or refuses, so a real goodbye still
 *   takes effect within a second; a forged one is counted and ignored.
 * - TTL expiry only says that no answer refreshed the records in time: a lossy LAN, a forged
 *   short-TTL record on purpose, or a host whose kernel drops the answers (a full neighbour
 *   table did that to every refresh in a 50-node lab, and all 49 peers expired at once on
 *   every node). A peer that answers its heartbeat stays, and the browser resolves it again.
 *   The checks are spread over EXPIRY_CHECK_JITTER_MS, since expiries come together, and a
 *   check that times out is repeated (EXPIRY_RECHECK_MS): thousands of checks at once time
 *   out on an overloaded host. Only a definite failure drops the peer at once.
 *
 * Peers that are not live (dormant, unknown) are removed at once.
 */
import type { Logger } from '../log.js';
import type { ProbeOutcome } from './liveness.js';
import type { Peer, PeerTable } from './peer-table.js';
import { unrefTimeout, type Schedule } from './schedule.js';

/** How long a peer that sent a goodbye has to prove it is still alive (the goodbye probe's timeout). */
export const GOODBYE_CHECK_MS = 700;
/** A live peer whose mDNS records expired is checked within this long (jittered). */
export const EXPIRY_CHECK_JITTER_MS = 2000;
/** Pauses before re-checking it when a check timed out (only a definite failure drops it at once). */
export const EXPIRY_RECHECK_MS: readonly number[] = [4000, 8000];

export interface RemovalPolicyOptions {
  table: Pick<PeerTable, 'byServiceKey' | 'get' | 'removeService' | 'rejectGoodbye'> & { keptAfterExpiry: number };
  /** A quick heartbeat for a peer that said goodbye (GOODBYE_CHECK_MS timeout). */
  goodbyeProbe(peer: Peer): Promise<ProbeOutcome>;
  /** A normal heartbeat, for a peer whose records expired. */
  probe(peer: Peer): Promise<ProbeOutcome>;
  /** When an SRV record of the instance last arrived (performance.now() ms). */
  lastHeard(serviceKey: string): number;
  log: Logger;
  now?: () => number;
  random?: () => number;
  schedule?: Schedule;
}

/** What to do when the browser reports an instance gone (its `removed` event). */
export type OnRemoved = (serviceKey: string, reason: 'goodbye' | 'expired') => void;

export function createRemovalPolicy(o: RemovalPolicyOptions): OnRemoved {
  const now = o.now ?? (() => performance.now());
  const random = o.random ?? Math.random;
  const schedule = o.schedule ?? unrefTimeout;
  /** Still the same peer under the same instance? (It may have been dropped or replaced meanwhile.) */
  const same = (peer: Peer, key: string): boolean => o.table.get(peer.nodeId)?.serviceKey === key;

  const afterGoodbye = (peer: Peer, key: string): void =>
    void o.goodbyeProbe(peer).then((outcome) => {
      if (outcome !== 'alive') return o.table.removeService(key, 'goodbye');
      if (!same(peer, key)) return;
      const problem = 'goodbye received, but the peer answered its heartbeat';
      o.table.rejectGoodbye({ instance: peer.instance, nodeId: peer.nodeId, problem });
    });

  const afterExpiry = (peer: Peer, key: string): void => {
    const expiredAt = now();
    const check = (attempt: number): void =>
      void o.probe(peer).then((outcome) => {
        // Dropped or replaced meanwhile, or its records are back: nothing left to decide.
        if (!same(peer, key) || o.lastHeard(key) > expiredAt) return;
        if (outcome === 'alive') {
          o.table.keptAfterExpiry++;
          const kept = `mDNS records of ${peer.instance} expired, but it answered its heartbeat: kept`;
          o.log.debug({ peer: peer.nodeId }, kept);
          return;
        }
        const pause = EXPIRY_RECHECK_MS[attempt];
        if (outcome !== 'dead' && pause !== undefined) return schedule(() => check(attempt + 1), pause);
        o.table.removeService(key, 'expired');
      });
    schedule(() => check(0), random() * EXPIRY_CHECK_JITTER_MS);
  };

  return (key, reason) => {
    const found = o.table.byServiceKey(key);
    if (!found?.live) return o.table.removeService(key, reason);
    if (reason === 'goodbye') afterGoodbye(found.peer, key);
    else afterExpiry(found.peer, key);
  };
}
