/**
 * Bearer-token auth for the API, as a Fastify plugin (an onRequest hook on every route that needs a token).
 * Each route says what it needs in its config: `auth: 'none'` (health, readiness, the status
 * page's shell, and the peer routes that carry their own proof), `'reader'` (the default: a
 * route that says nothing is protected) or `'admin'`. A token is compared in constant time
 * (both sides hashed first, so neither length nor content leaks). 401 without a token or with a
 * wrong one, 403 for the reader token on an admin route. Failed attempts are counted per source
 * address; one with too many in a minute is refused (429) until the minute is over.
 *
 * A keep-alive connection that showed a valid token is not checked again while it sends the same
 * header and the tokens are the same (`verified`): a script or the status page polling over one
 * connection costs one digest, not one per request. The shortcut compares the header with what
 * the same connection sent before, never with a token, so it tells nothing about the tokens.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { NodeMetrics } from '../node/metrics.js';
import { apiError } from './api-error.js';
import type { ApiTokens } from './deps.js';

export type AuthLevel = 'none' | 'reader' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthLevel;
  }
}

export interface AuthOptions {
  tokens(): ApiTokens | undefined;
  metrics?: NodeMetrics;
  /** Failed attempts per source address and window before it is refused (default 10 a minute). */
  maxFailures?: number;
  windowMs?: number;
  now?(): number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time equality of two strings of any length. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The tokens' digests, made once per tokens object (a new fleet config brings a new one). */
const digests = new WeakMap<ApiTokens, { admin: Buffer; reader: Buffer }>();

/** The role a token gives, or undefined. Both comparisons always run, in constant time. */
export function roleOf(given: string, tokens: ApiTokens): 'reader' | 'admin' | undefined {
  let d = digests.get(tokens);
  if (!d) digests.set(tokens, (d = { admin: digest(tokens.admin), reader: digest(tokens.reader) }));
  const g = digest(given);
  const admin = timingSafeEqual(g, d.admin);
  const reader = timingSafeEqual(g, d.reader);
  return admin ? 'admin' : reader ? 'reader' : undefined;
}

/** Failed attempts per source in fixed windows; at most `maxSources` tracked (the oldest forgotten first). */
export class FailureLimiter {
  readonly #counts = new Map<string, { n: number; since: number }>();
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly maxSources = 4096,
  ) {}
  #entry(source: string): { n: number; since: number } {
    const t = this.now();
    let e = this.#counts.get(source);
    if (!e || t - e.since >= this.windowMs) {
      e = { n: 0, since: t };
      this.#counts.delete(source);
      this.#counts.set(source, e);
      if (this.#counts.size > this.maxSources) this.#counts.delete(this.#counts.keys().next().value as string);
    }
    return e;
  }
  blocked(source: string): boolean {
    return this.#entry(source).n >= this.max;
  }
  fail(source: string): void {
    this.#entry(source).n++;
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer ([^\s]{1,512})$/i.exec(h.trim());
  return m?.[1];
}

/** What a connection proved last: its header, for which tokens, and the role it gave. */
interface Verified {
  header: string;
  tokens: ApiTokens;
  role: 'reader' | 'admin';
}
const verified = new WeakMap<object, Verified>();

const authPlugin: FastifyPluginAsync<AuthOptions> = async (app, o) => {
  const limiter = new FailureLimiter(o.maxFailures ?? 10, o.windowMs ?? 60_000, o.now ?? (() => Date.now()));
  const refuse = (reply: FastifyReply, status: 401 | 403 | 429, reason: string, message: string) => {
    o.metrics?.apiAuthFailures.inc({ reason });
    const code = status === 401 ? 'E_UNAUTHORIZED' : status === 403 ? 'E_FORBIDDEN' : 'E_RATE_LIMITED';
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="nucmesh"');
    return reply.code(status).send(apiError(status, code, message));
  };
  const authorize = (need: AuthLevel, req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const tokens = o.tokens();
    const header = req.headers.authorization;
    const known = verified.get(req.raw.socket);
    let role = known && known.header === header && known.tokens === tokens ? known.role : undefined;
    if (!role) {
      const source = req.ip;
      if (limiter.blocked(source))
        return refuse(reply, 429, 'rate-limited', 'too many failed token attempts; wait a minute');
      const given = bearer(req);
      if (given === undefined) {
        limiter.fail(source);
        return refuse(
          reply,
          401,
          'missing',
          'this route needs "Authorization: Bearer <token>" (the fleet config\'s reader or admin token)',
        );
      }
      role = tokens ? roleOf(given, tokens) : undefined;
      if (!role || !tokens) {
        limiter.fail(source);
        const why = tokens
          ? 'the token is not the reader or admin token'
          : 'no fleet config yet, so no API token is valid';
        return refuse(reply, 401, 'wrong', why);
      }
      verified.set(req.raw.socket, { header: header as string, tokens, role });
    }
    if (need === 'admin' && role !== 'admin')
      return refuse(reply, 403, 'forbidden', 'this route needs the admin token');
    return undefined;
  };
  // Each route's level is known when it is added: the check becomes a hook of that route (a
  // callback, not an async function: it runs on every request). A request for no route gets a
  // 404 that says only that, so it needs no token either.
  app.addHook('onRoute', (route) => {
    const need: AuthLevel = route.config?.auth ?? 'reader';
    if (need === 'none') return;
    const check: onRequestHookHandler = (req, reply, done) => {
      if (authorize(need, req, reply) === undefined) done();
    };
    route.onRequest = [...[route.onRequest ?? []].flat(), check];
  });
};

export const auth = fp(authPlugin, { name: 'nucmesh-auth', fastify: '5.x' });
