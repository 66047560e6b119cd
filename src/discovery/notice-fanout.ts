/**
 * Down notices over TCP: after multicasting a notice, a monitor also POSTs it to every live
 * peer's `/v1/down-notice`. Multicast is cheap but lossy (a busy LAN, a busy host: in a 50-node
 * run on two cores whole bursts of mDNS vanished); a TCP delivery is retransmitted until it
 * arrives or times out. It costs one small request per peer per monitor, only when a peer dies.
 *
 * Peers that did not take it are tried again with backoff (1, 2 and 4 s later by default): in
 * a 50-node run on two cores, a few nodes were unreachable for a few seconds at a time and
 * missed every notice that came within one second; a later attempt reaches them. Only the
 * peers that failed are retried, so a healthy fleet sees one request each.
 */
import type { DownNotice } from '../node/notice.js';
import { peerHost, peerTransport } from './heartbeat-client.js';
import type { Peer } from './peer-table.js';

/** Pauses before each retry round (each round only for the peers still without the notice). */
export const NOTICE_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 4000];

export interface FanoutResult {
  delivered: number;
  failed: number;
  /** Attempts made in all (deliveries and failures, first tries and retries). */
  attempts: number;
}

export interface NoticeFanout {
  send(peers: readonly Peer[], notice: DownNotice): Promise<FanoutResult>;
  close(): void;
}

export function createNoticeFanout(opts: { timeoutMs: number; retryDelaysMs?: readonly number[] }): NoticeFanout {
  const retryDelays = opts.retryDelaysMs ?? NOTICE_RETRY_DELAYS_MS;
  // HTTPS pinned to the certificate in the peer's advert, as heartbeats (heartbeat-client.ts).
  const transport = peerTransport({ keepAlive: true, maxFreeSockets: 1, keepAliveMsecs: 60_000 });
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const entry = { timer: setTimeout(() => (timers.delete(entry), resolve()), ms), resolve };
      timers.add(entry);
    });
  const post = (peer: Peer, body: string): Promise<boolean> =>
    new Promise((resolve) => {
      const host = peerHost(peer);
      if (!host) return resolve(false);
      const req = transport.request(
        peer,
        {
          host,
          port: peer.port,
          method: 'POST',
          path: '/v1/down-notice',
          timeout: opts.timeoutMs,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
          res.on('error', () => resolve(false));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end(body);
    });
  return {
    close: () => {
      closed = true;
      for (const t of timers) {
        clearTimeout(t.timer);
        t.resolve();
      }
      timers.clear();
      transport.destroy();
    },
    async send(peers, notice) {
      const body = JSON.stringify(notice);
      let pending = [...peers];
      let delivered = 0;
      let attempts = 0;
      for (let round = 0; round <= retryDelays.length && pending.length > 0 && !closed; round++) {
        if (round > 0) await pause(retryDelays[round - 1] ?? 0);
        if (closed) break;
        const ok = await Promise.all(pending.map((p) => post(p, body)));
        attempts += pending.length;
        delivered += ok.filter(Boolean).length;
        pending = pending.filter((_, i) => !ok[i]);
      }
      return { delivered, failed: pending.length, attempts };
    },
  };
}
