/**
 * Down notices over TCP: after multicasting a notice, a monitor also POSTs it to every live
 * peer's `/v1/down-notice`. Multicast is cheap but lossy (a busy LAN, a busy host: in a 50-node
 * run on two cores whole bursts of mDNS vanished); a TCP delivery is retransmitted until it
 * arrives or times out. It costs one small request per peer per monitor, only when a peer dies.
 */
import http from 'node:http';
import type { DownNotice } from './down-notice.js';
import { peerHost } from './heartbeat-client.js';
import type { Peer } from './peer-table.js';

const RETRY_AFTER_MS = 1000;

export interface FanoutResult {
  delivered: number;
  failed: number;
}

export function createNoticeFanout(opts: { timeoutMs: number }): { send(peers: readonly Peer[], notice: DownNotice): Promise<FanoutResult>; close(): void } {
  const agent = new http.Agent({ keepAlive: false });
  const post = (peer: Peer, body: string): Promise<boolean> =>
    new Promise((resolve) => {
      const host = peerHost(peer);
      if (!host) return resolve(false);
      const req = http.request(
        { host, port: peer.port, method: 'POST', path: '/v1/down-notice', agent, timeout: opts.timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
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
    close: () => agent.destroy(),
    async send(peers, notice) {
      const body = JSON.stringify(notice);
      let pending = [...peers];
      let delivered = 0;
      // One retry, a second later, for the peers that did not take it.
      for (let round = 0; round < 2 && pending.length > 0; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, RETRY_AFTER_MS));
        const ok = await Promise.all(pending.map((p) => post(p, body)));
        delivered += ok.filter(Boolean).length;
        pending = pending.filter((_, i) => !ok[i]);
      }
      return { delivered, failed: pending.length };
    },
  };
}
