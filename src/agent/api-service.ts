/**
 * The agent's API server: listening from the agent's first moment (the health route says why a
 * node is blocked), moved to the fleet config's address once that is known, and retried rather
 * than given up when the port is taken. A Fastify app cannot listen again once closed, so a
 * move builds a new one from the same dependencies.
 */
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import { buildApp, type ApiDeps } from '../api/app.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import type { PemPair } from '../api/node-cert.js';
import { retryUntilDone } from './retry.js';

export interface ApiAddress {
  bind: string;
  port: number;
}

export interface ApiService {
  /** Listen on `wanted()` (moving there when listening elsewhere); resolves once it does or on abort. */
  ensure(): Promise<void>;
  /** The port listened on, while listening. */
  port(): number | undefined;
  /** Why it is not listening, while it is not. */
  problem(): string | undefined;
  /** Serve another certificate (from the next TLS handshake on; a later move keeps it). */
  setCertificate(pair: PemPair): void;
  close(): Promise<void>;
}

export function createApiService(o: {
  deps: ApiDeps;
  wanted(): ApiAddress;
  /** The node certificate (made once, kept in the data dir). */
  tls(): Promise<PemPair>;
  log: Logger;
  signal: AbortSignal;
}): ApiService {
  let current: ({ server: ApiServer } & ApiAddress) | undefined;
  let problem: string | undefined;
  let certificate: PemPair | undefined;
  // One move at a time: a second ensure() waits for the first, then looks again.
  let queue: Promise<void> = Promise.resolve();
  const move = async (): Promise<void> => {
    const want = o.wanted();
    if (current && current.bind === want.bind && current.port === want.port) return;
    if (current) {
      const from = `${current.bind}:${current.port}`;
      o.log.info({ from, to: `${want.bind}:${want.port}` }, 'API: moving to the address of the fleet config');
      await current.server.close();
      current = undefined;
    }
    await retryUntilDone(
      async () => {
        certificate ??= await o.tls();
        const server = await startApiServer(buildApp(o.deps), { host: want.bind, port: want.port, tls: certificate });
        current = { server, ...want };
        problem = undefined;
        o.log.info({ port: server.port, bind: want.bind }, 'API listening');
      },
      {
        signal: o.signal,
        onFailure: (err, attempt, pause) => {
          problem = `${errorMessage(err)} (trying again)`;
          if (attempt <= 3 || attempt % 10 === 0)
            o.log.error({ err: errorMessage(err), attempt, retryInMs: pause }, 'API: cannot listen; trying again');
        },
      },
    );
  };
  return {
    ensure() {
      queue = queue.then(move, move);
      return queue;
    },
    port: () => current?.server.port,
    problem: () => problem,
    setCertificate(pair) {
      certificate = pair;
      current?.server.setCertificate(pair);
    },
    async close() {
      await queue.catch(() => undefined);
      await current?.server.close();
      current = undefined;
    },
  };
}
