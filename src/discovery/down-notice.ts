/**
 * Down notices: how a ring monitor tells the whole LAN, at once, that it found a peer dead.
 *
 * Only a peer's K ring monitors probe it often, so without a notice the other N−1−K nodes
 * would each have to confirm a death with heartbeats of their own (slow under load, and a
 * herd on the dead peer's address). A monitor that marks a peer down already multicasts a
 * query for the peer's SRV record (RFC 6762 §10.5); the notice rides in that query's
 * additional section as one TXT record named `_down._nucmesh._tcp.local`:
 *
 *   v=1  id=<the dead peer's node ID>  g=<its advert generation>  by=<the monitor's node ID>
 *   fl=<fleet ID>  mac=<HMAC-SHA256(fleet key, canonical fields), base64url>
 *
 * Other mDNS implementations ignore a query's additional records. A receiver acts only on a
 * notice whose MAC verifies with the fleet key (a stranger cannot evict anyone), and only
 * when it names the generation the peer holds now or a later one (an older notice is stale). There is no
 * clock and no nonce: a replayed notice can only repeat a verdict a fleet member once made
 * about that same incarnation, and the peer itself answers any notice about its current
 * generation by re-announcing with a higher one (as in SWIM's refutation), which makes every
 * earlier notice about it stale. A live peer that was wrongly reported is thus back within one
 * announcement. This module is the notice's codec and judge: TXT strings and the query record
 * they travel in, MAC (fleet-crypto.ts), verdict. Pure functions; no I/O.
 */
import type { Answer, TxtAnswer } from 'dns-packet';
import { errorMessage, ValidationError, type ValidationIssue } from '../errors.js';
import { fleetMac, verifyFleetMac } from '../node/fleet-crypto.js';
import type { DownNotice, DownNoticeFields, NoticeVerdict } from '../node/notice.js';
import { DECIMAL, FLEET_ID, NODE_ID, SIGNATURE } from '../node/wire.js';
import { parseTxtStrings } from './advert.js';
import { SERVICE_DOMAIN } from './constants.js';

export const DOWN_NOTICE_NAME = `_down.${SERVICE_DOMAIN}`;

/** What a notice's MAC covers (after the domain tag), in this order. */
function macParts(f: DownNoticeFields): unknown[] {
  return [f.fleetId, f.subject, f.generation, f.reporter];
}

export function signDownNotice(key: Buffer, f: DownNoticeFields): DownNotice {
  return { ...f, mac: fleetMac(key, 'downNotice', macParts(f)) };
}

export function verifyDownNotice(key: Buffer, n: DownNotice): boolean {
  return verifyFleetMac(key, 'downNotice', macParts(n), n.mac);
}

/** The TXT strings of a notice, as they go on the wire. */
export function downNoticeToTxt(n: DownNotice): Buffer[] {
  const pairs = [`v=1`, `id=${n.subject}`, `g=${n.generation}`, `by=${n.reporter}`, `fl=${n.fleetId}`, `mac=${n.mac}`];
  return pairs.map((s) => Buffer.from(s));
}

/** Parse TXT strings as a notice. Throws ValidationError naming every bad field. */
export function downNoticeFromTxt(strings: readonly (Buffer | string)[]): DownNotice {
  const { txt, issues } = parseTxtStrings(strings);
  const all: ValidationIssue[] = [...issues];
  const field = (key: string, re: RegExp, what: string): string => {
    const v = txt[key];
    if (v === undefined) all.push({ path: `/notice/${key}`, message: 'missing' });
    else if (!re.test(v)) all.push({ path: `/notice/${key}`, message: `expected ${what}` });
    return v ?? '';
  };
  field('v', /^1$/, 'protocol version 1');
  const subject = field('id', NODE_ID, 'a node ID');
  const generation = field('g', DECIMAL, 'a generation (a whole number)');
  const reporter = field('by', NODE_ID, 'a node ID');
  const fleetId = field('fl', FLEET_ID, 'a fleet ID (16 hex digits)');
  const mac = field('mac', SIGNATURE, 'a base64url HMAC-SHA256 (43 characters)');
  if (all.length > 0) throw new ValidationError('down notice', all);
  return { subject, generation: Number(generation), reporter, fleetId, mac };
}

/** The notice as a record for the additional section of a query (see ServiceBrowser.queryInstance). */
export function downNoticeRecord(n: DownNotice): TxtAnswer {
  return { type: 'TXT', name: DOWN_NOTICE_NAME, ttl: 120, data: downNoticeToTxt(n) };
}

const LNOTICE = DOWN_NOTICE_NAME.toLowerCase();
const isNoticeRecord = (a: Answer | undefined): a is TxtAnswer =>
  a?.type === 'TXT' && typeof a.name === 'string' && a.name.toLowerCase() === LNOTICE && Array.isArray(a.data);

/**
 * The down notice among a query's additional records (the first TXT record named
 * DOWN_NOTICE_NAME), parsed but not verified: undefined when there is none, a `problem` naming
 * the bad fields when it does not parse.
 */
export type FoundNotice = { notice: DownNotice } | { problem: string };

export function noticeFromRecords(records: readonly Answer[]): FoundNotice | undefined {
  const record = records.find(isNoticeRecord);
  if (!record) return undefined;
  const strings = (record.data as unknown[]).filter((d): d is Buffer => Buffer.isBuffer(d));
  try {
    return { notice: downNoticeFromTxt(strings) };
  } catch (e) {
    return { problem: errorMessage(e).replace(/\n\s*/g, ' ') };
  }
}

export interface NoticeContext {
  selfNodeId: string;
  fleetId: string;
  key: Buffer;
  /** Our own current advert generation. */
  ownGeneration: number;
  /** The generation of the subject as a live peer in our table, if it is one. */
  liveGeneration(nodeId: string): number | undefined;
}

export function judgeDownNotice(n: DownNotice, ctx: NoticeContext): NoticeVerdict {
  if (n.fleetId !== ctx.fleetId) return 'other-fleet';
  if (!verifyDownNotice(ctx.key, n)) return 'bad-mac';
  if (n.reporter === n.subject) return 'self-report';
  if (n.subject === ctx.selfNodeId) return n.generation >= ctx.ownGeneration ? 'refute' : 'stale';
  const live = ctx.liveGeneration(n.subject);
  if (live === undefined) return 'not-live';
  // A notice about a newer incarnation than ours (we missed an update) kills ours too.
  return n.generation >= live ? 'mark-down' : 'check';
}
