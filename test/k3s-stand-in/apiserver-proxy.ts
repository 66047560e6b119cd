/**
 * The supervisor port in front of the real kube-apiserver. In k3s the apiserver runs in-process on
 * 127.0.0.1:(https-listen-port + 1) (pkg/daemons/control/server.go: `APIServerPort = HTTPSPort + 1`,
 * `--bind-address=127.0.0.1`) and the supervisor on https-listen-port serves /cacerts, /ping, /v1-k3s/*
 * itself and hands every other request to the apiserver's handler (pkg/server/router.go: the router's
 * NotFoundHandler is the apiserver), on the same TLS connection, so the apiserver authenticates the
 * caller's own client certificate or token. Out of process, that hand-over is a reverse proxy with
 * Kubernetes' front-proxy (request-header) authentication:
 * - a client certificate verified against the client CA: forwarded as X-Remote-User = CN and one
 *   X-Remote-Group per O, over a connection with the front-proxy client certificate (CN
 *   system:auth-proxy, signed by the request-header CA, which the apiserver trusts for these headers
 *   only: --requestheader-client-ca-file, --requestheader-allowed-names);
 * - otherwise (a Bearer token, or anonymous): forwarded without identity headers (the apiserver then
 *   authenticates the token, or treats the request as anonymous);
 * - X-Remote-* headers from the caller are always dropped (nobody can claim an identity).
 * Watches and other streams pass through unbuffered; upgrades (exec, attach, port-forward) are piped.
 */
import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';
import type { KeyPair } from './pki.js';

export interface ProxyTarget {
  port: number;
  /** The CA of the apiserver's serving certificate (the server CA). */
  ca: string;
  /** The front-proxy client certificate. */
  authProxy: KeyPair;
}

export interface Identity {
  user: string;
  groups: string[];
}

/** The user (CN) and groups (O) of a client certificate the TLS layer verified, else undefined. */
export function verifiedIdentity(socket: TLSSocket): Identity | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerX509Certificate?.() as X509Certificate | undefined;
  if (!cert) return undefined;
  const lines = cert.subject.split('\n');
  const user = lines.find((l) => l.startsWith('CN='))?.slice(3);
  if (user === undefined) return undefined;
  return { user, groups: lines.filter((l) => l.startsWith('O=')).map((l) => l.slice(2)) };
}

/** The headers to forward: the caller's, minus hop-by-hop and X-Remote-*, plus the identity. */
export function forwardedHeaders(
  incoming: IncomingMessage['headers'],
  who: Identity | undefined,
  upgrade: boolean,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const hopByHop = new Set(['keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding']);
  if (!upgrade) hopByHop.add('connection').add('upgrade');
  for (const [k, v] of Object.entries(incoming)) {
    if (v === undefined || hopByHop.has(k) || k.startsWith('x-remote-')) continue;
    out[k] = v;
  }
  if (who) {
    out['x-remote-user'] = who.user;
    if (who.groups.length > 0) out['x-remote-group'] = who.groups;
  }
  return out;
}

export function apiserverProxy(t: ProxyTarget): {
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
} {
  const agent = new https.Agent({ keepAlive: true, maxSockets: Infinity, ca: t.ca, ...t.authProxy });
  const target = (who: Identity | undefined) =>
    who ? { cert: t.authProxy.cert, key: t.authProxy.key } : { cert: undefined, key: undefined };
  const noIdentityAgent = new https.Agent({ keepAlive: true, maxSockets: Infinity, ca: t.ca });
  return {
    handle(req, res) {
      const who = verifiedIdentity(req.socket as TLSSocket);
      const up = https.request(
        {
          host: '127.0.0.1',
          port: t.port,
          method: req.method,
          path: req.url,
          headers: forwardedHeaders(req.headers, who, false),
          agent: who ? agent : noIdentityAgent,
          servername: 'localhost',
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
          res.flushHeaders();
          answer.pipe(res);
        },
      );
      up.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`apiserver not available: ${e.message}`);
      });
      res.on('close', () => up.destroy());
      req.pipe(up);
    },
    upgrade(req, socket, head) {
      const who = verifiedIdentity(req.socket as TLSSocket);
      const upstream = tls.connect({
        host: '127.0.0.1',
        port: t.port,
        ca: t.ca,
        servername: 'localhost',
        ...target(who),
      });
      upstream.on('secureConnect', () => {
        const headers = forwardedHeaders(req.headers, who, true);
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (const [k, v] of Object.entries(headers)) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
        upstream.write(lines.join('\r\n') + '\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
      });
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      upstream.on('error', close);
      socket.on('error', close);
    },
  };
}
