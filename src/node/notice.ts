/**
 * A down notice as a message between nodes: a ring monitor's signed statement that a peer is
 * dead, and the verdicts a receiver can reach on one. Discovery sends, receives (in mDNS
 * queries) and judges notices (src/discovery/down-notice.ts); the API receives them over HTTP
 * (POST /v1/down-notice). Both use these types, so neither imports the other.
 */

export interface DownNoticeFields {
  /** The node reported dead. */
  subject: string;
  /** The subject's advert generation the reporter last verified. */
  generation: number;
  /** The reporting node (a ring monitor of the subject). */
  reporter: string;
  fleetId: string;
}

export interface DownNotice extends DownNoticeFields {
  /** The fleet key's MAC of the fields (base64url HMAC-SHA256). */
  mac: string;
}

/**
 * What a node does with a notice. `refute`: it is about us, as we are now: re-announce with a
 * higher generation. `mark-down`: drop the live peer. `check`: it names an older incarnation
 * of a live peer than the one we hold (a replay, or a monitor that missed the peer's last
 * re-announcement and then found it dead): not enough to drop the peer, but a reason to probe
 * it ourselves (in a 50-node run a monitor's notice naming an older generation was all some
 * nodes got; ignoring it left them holding a dead peer until its mDNS records expired).
 * `stale`: about an older incarnation of us. Everything else is ignored (and the rejections
 * counted by the receiver).
 */
export const NOTICE_VERDICTS = [
  'refute',
  'mark-down',
  'check',
  'other-fleet',
  'bad-mac',
  'stale',
  'not-live',
  'self-report',
] as const;
export type NoticeVerdict = (typeof NOTICE_VERDICTS)[number];

/** Verdicts on a notice that did verify (what `POST /v1/down-notice` answers with 200). */
export const ACCEPTED_NOTICE_VERDICTS = NOTICE_VERDICTS.filter((v) => v !== 'other-fleet' && v !== 'bad-mac');
