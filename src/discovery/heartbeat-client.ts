/**
 * One authenticated heartbeat to a peer's API: POST /v1/heartbeat with a fresh nonce and
 * check the HMAC proof for the peer's node ID. `alive` only for a valid proof; `dead` when the
 * peer definitely is not there (connection refused or reset, shutting down, wrong node or bad
 * proof); `unknown` on a timeout or other error (an overloaded peer looks the same as a gone
 * one); `inconclusive` when our own timer fired far too late to judge. Keep-alive keeps it to a few packets.
 *
 * HTTPS, pinned: a peer's advert (signed with the fleet key) carries its API certificate's pin,
 * and the connection is dropped before the request when the certificate has another (a wrong
 * pin is `dead`: not the peer that advertised). A peer whose advert has no pin (an older
 * nucmesh) is asked over plain HTTP.
 */
import http from 'node:http';
import https from 'node:https';
import { createPinnedAgent } from '../node/cert-pin.js';
import { newNonce, verifyHeartbeatProof } from '../node/fleet-crypto.js';
import type { Peer } from './peer-table.js';
import type { ProbeOutcome } from './liveness.js';

export interface HeartbeatClientOptions {
  key: Buffer;
  timeoutMs: number;
  /** Told why a probe failed (for debug logs). */
  onFailure?(peer: Peer, reason: string): void;
}

/** Prefer an IPv4 address (no zone needed); fall back to the first one. */
export function probeAddress(peer: Pick<Peer, 'addresses'>): string | undefined {
  return (peer.addresses.find((a) => !a.address.includes(':')) ?? peer.addresses[0])?.address;
}

/** The `host` option for an HTTP request to a peer (IPv6 in brackets), or undefined without an address. */
export function peerHost(peer: Pick<Peer, 'addresses'>): string | undefined {
  const address = probeAddress(peer);
  return address?.includes(':') ? `[${address}]` : address;
}

/** Agents for both kinds of peer, and the request function and options that fit a peer. */
export function peerTransport(agentOptions: http.AgentOptions): {
  request(
    peer: Pick<Peer, 'certPin'>,
    o: http.RequestOptions,
    cb: (res: http.IncomingMessage) => void,
  ): http.ClientRequest;
  destroy(): void;
} {
  const plain = new http.Agent(agentOptions);
  const pinned = createPinnedAgent(agentOptions);
  return {
    request(peer, o, cb) {
      if (peer.certPin === undefined) return http.request({ ...o, agent: plain }, cb);
      return https.request({ ...o, agent: pinned, pin: peer.certPin } as https.RequestOptions, cb);
    },
    destroy() {
      plain.destroy();
      pinned.destroy();
    },
  };
}

export function createHeartbeatClient(opts: HeartbeatClientOptions): {
  probe(peer: Peer): Promise<ProbeOutcome>;
  close(): void;
} {
  // HTTP keep-alive between probes; TCP keep-alive probes only after 60 s idle (1 s would send one every second).
  const transport = peerTransport({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1, keepAliveMsecs: 60_000 });
  return {
    close: () => transport.destroy(),
    probe(peer) {
      const host = peerHost(peer);
      if (!host) return Promise.resolve('dead');
      const nonce = newNonce();
      const body = JSON.stringify({ nonce });
      return new Promise((resolve) => {
        let done = false;
        const finish = (outcome: ProbeOutcome, reason = 'bad answer'): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          if (outcome !== 'alive') opts.onFailure?.(peer, reason);
          resolve(outcome);
        };
        const failed = (code: string | undefined): void =>
          finish(
            code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ERR_CERT_PIN'
              ? 'dead'
              : 'unknown',
            code ?? 'error',
          );
        const req = transport.request(
          peer,
          {
            host,
            port: peer.port,
            method: 'POST',
            path: '/v1/heartbeat',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              text += d;
              if (text.length > 4096) req.destroy();
            });
            res.on('end', () => {
              if (res.statusCode !== 200)
                return finish(res.statusCode === 503 ? 'dead' : 'unknown', `HTTP ${res.statusCode}`);
              try {
                const r = JSON.parse(text) as { nodeId?: unknown; generation?: unknown; proof?: unknown };
                const valid =
                  r.nodeId === peer.nodeId &&
                  typeof r.generation === 'number' &&
                  Number.isSafeInteger(r.generation) &&
                  typeof r.proof === 'string' &&
                  verifyHeartbeatProof(opts.key, nonce, peer.nodeId, r.generation, r.proof);
                finish(valid ? 'alive' : 'dead', 'wrong node or bad proof');
              } catch {
                finish('dead', 'unreadable answer');
              }
            });
            res.on('error', (e: NodeJS.ErrnoException) => failed(e.code));
          },
        );
        const started = performance.now();
        const timer = setTimeout(() => {
          // A timer that fires far too late means our own process was starved of CPU: the
          // answer may be sitting unread in our socket, so this says nothing about the peer.
          const late = performance.now() - started - opts.timeoutMs;
          if (late > opts.timeoutMs / 2) finish('inconclusive', `own event loop ${Math.round(late)} ms late`);
          else finish('unknown', `timeout after ${opts.timeoutMs} ms`);
          req.destroy();
        }, opts.timeoutMs);
        req.on('error', (e: NodeJS.ErrnoException) => failed(e.code));
        req.end(body);
      });
    },
  };
}
