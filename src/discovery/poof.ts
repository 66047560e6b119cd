/**
 * Passive observation of failure ("POOF", RFC 6762 §10.5): another host's plain query for the
 * SRV record of a peer we hold, left unanswered for POOF_WAIT_MS (a live peer answers at once),
 * makes us check that peer ourselves; a query for a peer we hold as down (it may be back) too.
 * Such a query never marks anything down by itself: only a failed heartbeat of our own or a
 * verified down notice does. A query whose additional records were dealt with (it carried a
 * down notice) needs nothing more.
 */
import type { PeerTable } from './peer-table.js';
import { unrefTimeout, type Schedule } from './schedule.js';

/** How long the owner of a queried SRV record has to answer before we check it ourselves. */
export const POOF_WAIT_MS = 500;

export interface PoofOptions {
  table: Pick<PeerTable, 'byServiceKey'>;
  /** When an SRV record of the instance last arrived. */
  lastHeard(serviceKey: string): number;
  /** Check a peer ourselves soon (LivenessMonitor.suspect). */
  suspect(nodeId: string): void;
  schedule?: Schedule;
}

/** What to do with the browser's `instance-query` event. */
export function createPoof(o: PoofOptions): (serviceKey: string, handled: boolean) => void {
  const schedule = o.schedule ?? unrefTimeout;
  return (key, handled) => {
    if (handled) return;
    const found = o.table.byServiceKey(key);
    if (!found) return;
    if (!found.live) return o.suspect(found.peer.nodeId);
    const heard = o.lastHeard(key);
    schedule(() => {
      if (o.lastHeard(key) === heard) o.suspect(found.peer.nodeId);
    }, POOF_WAIT_MS);
  };
}
