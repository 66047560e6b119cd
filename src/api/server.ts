/**
 * Listening with the API app: HTTPS on the API port, on every interface (or the configured
 * address), and plain HTTP on the same port only for connections from the loopback address
 * (local tools, the VM tests' probe). One listening socket; the first byte of a connection says
 * which: a TLS record starts with 0x16 (handshake), HTTP with a method's letter. A plain
 * connection from anywhere else is answered 400 (use https) and closed.
 *
 * Timeouts: a connection that sends nothing for 5 s, a TLS handshake not done in 5 s, request
 * headers not in within 5 s and a request (headers and body) not in within 15 s are cut, so a
 * slow client cannot hold a connection. Idle keep-alive connections stay 75 s (peers send a
 * heartbeat every few seconds). Close: stop accepting, let requests under way finish (up to
 * 5 s), then cut what is left.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { NucmeshError } from '../errors.js';
import type { PemPair } from './node-cert.js';
import { apiError } from './api-error.js';

export interface ApiServer {
  address: string;
  port: number;
  /** Serve another certificate from the next handshake on. */
  setCertificate(pair: PemPair): void;
  close(): Promise<void>;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  tls: PemPair;
  /** Overrides of the timeouts (ms), for tests. */
  timeouts?: Partial<typeof TIMEOUTS>;
}

export const TIMEOUTS = {
  firstByte: 5000,
  handshake: 5000,
  headers: 5000,
  request: 15_000,
  keepAlive: 75_000,
  closeGrace: 5000,
};

const TLS_HANDSHAKE = 0x16;

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function plainRefusal(): string {
  const body = JSON.stringify(
    apiError(400, 'E_TLS_REQUIRED', 'this port speaks HTTPS; plain HTTP only from 127.0.0.1'),
  );
  return [
    'HTTP/1.1 400 Bad Request',
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}

function badRequestAnswer(): string {
  const body = JSON.stringify(apiError(400, 'E_BAD_REQUEST', 'the request could not be read'));
  return `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** The app's request handler, served by servers of our own (the app itself never listens). */
function requestHandler(app: FastifyInstance): http.RequestListener {
  const handler = app.server.listeners('request')[0] as http.RequestListener | undefined;
  if (!handler) throw new Error('the Fastify app has no request handler');
  return handler;
}

export async function startApiServer(app: FastifyInstance, o: ApiServerOptions): Promise<ApiServer> {
  const t = { ...TIMEOUTS, ...o.timeouts };
  await app.ready();
  const handler = requestHandler(app);
  const common: http.ServerOptions = {
    requestTimeout: t.request,
    headersTimeout: t.headers,
    keepAliveTimeout: t.keepAlive,
    connectionsCheckingInterval: Math.min(1000, t.headers),
  };
  const secure = https.createServer(
    { ...common, cert: o.tls.cert, key: o.tls.key, handshakeTimeout: t.handshake },
    handler,
  );
  const plain = http.createServer(common, handler);
  const onClientError = (err: NodeJS.ErrnoException, socket: net.Socket | import('node:stream').Duplex): void => {
    if (err.code !== 'ECONNRESET' && (socket as net.Socket).writable && !(socket as net.Socket).destroyed)
      (socket as net.Socket).end(badRequestAnswer());
    else socket.destroy();
  };
  // These servers never listen themselves (the raw server hands them connections), so start
  // what `listening` starts: the connection list that enforces the header and request timeouts
  // and lets close() find idle connections.
  secure.emit('listening');
  plain.emit('listening');
  plain.on('clientError', onClientError);
  secure.on('clientError', onClientError);
  secure.on('tlsClientError', (_err, socket) => socket.destroy());

  // Every connection, by its raw socket: a TLS socket wraps the raw one and takes over its handle,
  // so the raw server may never see it close; close() ends what is left itself.
  const sockets = new Set<net.Socket>();
  const raw = net.createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setTimeout(t.firstByte, () => socket.destroy());
    socket.once('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      if (chunk[0] === TLS_HANDSHAKE) {
        // TLS takes data already read from the socket as the start of the handshake.
        socket.unshift(chunk);
        secure.emit('connection', socket);
      } else if (isLoopback(socket.remoteAddress)) {
        // The HTTP parser reads the socket's handle directly, past anything unshifted: it is
        // handed the first chunk as a 'data' event instead, as if it had just arrived.
        plain.emit('connection', socket);
        socket.emit('data', chunk);
        socket.resume();
      } else socket.end(plainRefusal());
    });
    socket.resume();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      raw.once('error', reject);
      raw.listen({ host: o.host, port: o.port }, () => {
        raw.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    throw new NucmeshError(
      'E_API_LISTEN',
      `cannot listen on ${o.host}:${o.port} for the API: ${(e as Error).message}; set api.port or --api-port to a free port`,
      { data: { host: o.host, port: o.port }, cause: e },
    );
  }
  const addr = raw.address();
  const bound = typeof addr === 'object' && addr ? addr.port : o.port;
  let closed: Promise<void> | undefined;
  return {
    address: o.host,
    port: bound,
    setCertificate: (pair) => secure.setSecureContext({ cert: pair.cert, key: pair.key }),
    close() {
      closed ??= (async () => {
        raw.close();
        // preClose hooks: the app answers 503 from now on; requests under way finish, and
        // connections are closed as they fall idle, for at most closeGrace.
        const appClosed = app.close();
        const until = Date.now() + t.closeGrace;
        while (sockets.size > 0 && Date.now() < until) {
          for (const s of [secure, plain]) s.closeIdleConnections();
          await new Promise((r) => setTimeout(r, 20));
        }
        for (const s of [secure, plain]) {
          s.closeAllConnections();
          s.close();
        }
        for (const socket of sockets) socket.destroy();
        await appClosed;
      })();
      return closed;
    },
  };
}
