/**
 * The down-notice policy of a running node (see down-notice.ts for the notice itself):
 *
 * - Telling: when our own probes find a peer dead, multicast a query for its SRV record
 *   carrying our signed notice, three times (now, +1 s, +3 s: RFC 6762 §10.5 expects repeated
 *   queries, and one multicast packet can be lost on a busy LAN or host), and post the notice
 *   to every live peer over HTTP (multicast alone can be lost; notice-fanout.ts). A peer that
 *   came back gets the same queries without a notice.
 * - Receiving (by multicast or HTTP): a verified notice from a peer's ring monitor drops the
 *   peer now; one about an older incarnation of it makes us check it ourselves; one about us
 *   as we are now makes us re-announce with a higher generation, which makes the notice old
 *   everywhere. Notices that do not verify or parse are counted as rejected.
 */
import type { Answer } from 'dns-packet';
import type { Logger } from '../log.js';
import type { DownNotice, NoticeVerdict } from '../node/notice.js';
import {
  DOWN_NOTICE_NAME,
  downNoticeRecord,
  judgeDownNotice,
  noticeFromRecords,
  signDownNotice,
} from './down-notice.js';
import type { NoticeFanout } from './notice-fanout.js';
import type { Peer, PeerTable } from './peer-table.js';
import { unrefTimeout, type Schedule } from './schedule.js';

/** When the query telling the LAN is sent again, after the first. */
export const ANNOUNCE_REPEATS_MS: readonly number[] = [1000, 3000];

export interface NoticePolicyOptions {
  selfNodeId: string;
  fleetId: string;
  fleetKey: Buffer;
  table: Pick<PeerTable, 'get' | 'list' | 'markDown' | 'rejectNotice'>;
  /** Our advert generation now. */
  generation(): number;
  /** Check a peer ourselves soon (LivenessMonitor.suspect). */
  suspect(nodeId: string): void;
  /** Re-announce with a higher generation: a notice said we are down while we are alive. */
  refute(): void;
  /** Multicast a query for an instance's SRV record with these additional records. */
  queryInstance(serviceKey: string, additionals: Answer[]): void;
  fanout: Pick<NoticeFanout, 'send'>;
  log: Logger;
  schedule?: Schedule;
}

export interface NoticePolicy {
  /** Our probes found `peer` down (tell everyone, with a signed notice) or back up. */
  announce(peer: Peer, what: 'down' | 'up'): void;
  /** Judge a notice received by multicast or HTTP and act on the verdict. */
  apply(notice: DownNotice, via: 'mdns' | 'http'): NoticeVerdict;
  /**
   * The browser's onQueryExtras hook: applies (or rejects) a notice among a query's additional
   * records; true when there was one (the query is then dealt with).
   */
  fromQuery(records: Answer[], iface: string): boolean;
}

export function createNoticePolicy(o: NoticePolicyOptions): NoticePolicy {
  const schedule = o.schedule ?? unrefTimeout;
  // The highest generation of ours that a notice we refuted named: repeats of that notice (each
  // monitor sends it several times) are stale from then on, even before the re-announcement has
  // bumped our generation, so one re-announcement answers them all.
  let refutedUpTo = -1;

  const apply = (notice: DownNotice, via: 'mdns' | 'http'): NoticeVerdict => {
    const verdict = judgeDownNotice(notice, {
      selfNodeId: o.selfNodeId,
      fleetId: o.fleetId,
      key: o.fleetKey,
      ownGeneration: Math.max(o.generation(), refutedUpTo + 1),
      liveGeneration: (id) => o.table.get(id)?.generation,
    });
    const { subject, reporter, generation } = notice;
    o.log.debug({ peer: subject, reporter, generation, verdict, via }, `down notice: ${verdict}`);
    if (verdict === 'other-fleet' || verdict === 'bad-mac') {
      const problem =
        verdict === 'bad-mac' ? 'MAC does not verify with the fleet key' : `fleet ID ${notice.fleetId} is not ours`;
      o.table.rejectNotice({ instance: DOWN_NOTICE_NAME, nodeId: subject, problem: `${problem} (${via})` });
    } else if (verdict === 'mark-down') {
      o.table.markDown(subject, 'reported');
    } else if (verdict === 'check') {
      // Once per suspect per cooldown, at a jittered moment (liveness.ts): replays cost little.
      o.suspect(subject);
    } else if (verdict === 'refute') {
      refutedUpTo = generation;
      const why = `reported down by ${reporter} while alive: re-announcing with a higher generation`;
      o.log.warn({ reporter, generation }, why);
      o.refute();
    }
    return verdict;
  };

  return {
    apply,
    fromQuery(records, iface) {
      const found = noticeFromRecords(records);
      if (!found) return false;
      if ('notice' in found) apply(found.notice, 'mdns');
      else o.table.rejectNotice({ instance: DOWN_NOTICE_NAME, problem: `${found.problem} (on ${iface})` });
      return true;
    },
    announce(p, what) {
      o.log.debug({ peer: p.nodeId, what, generation: p.generation }, `telling the LAN: ${p.instance} ${what}`);
      const fields = { subject: p.nodeId, generation: p.generation, reporter: o.selfNodeId, fleetId: o.fleetId };
      const signed = what === 'down' ? signDownNotice(o.fleetKey, fields) : undefined;
      const extras = signed ? [downNoticeRecord(signed)] : [];
      o.queryInstance(p.serviceKey, extras);
      for (const ms of ANNOUNCE_REPEATS_MS) schedule(() => o.queryInstance(p.serviceKey, extras), ms);
      if (!signed) return;
      const peers = o.table.list().filter((x) => x.nodeId !== p.nodeId);
      void o.fanout.send(peers, signed).then((r) => {
        const how = `${r.delivered} of ${peers.length} peers over HTTP (${r.attempts} attempts)`;
        o.log.info({ peer: p.nodeId, ...r }, `down notice for ${p.instance} delivered to ${how}`);
      });
    },
  };
}
