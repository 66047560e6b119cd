/** What every route plugin is given, and the error answers routes declare besides their own. */
import type { FastifyReply } from 'fastify';
import { apiError } from '../api-error.js';
import type { ApiDeps, OpsDeps } from '../deps.js';
import { ErrorResponse } from '../schemas.js';

export interface RouteOptions {
  deps: ApiDeps;
  /** How long a cached answer may be served (ms; answer-cache.ts); default 1000, 0 for none. */
  cacheMs?: number;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Error answers of every route, by range (an explicit status of a route's own wins): one
 * serializer per range, not one per status: Fastify compiles each at start-up.
 */
export const ERRORS = { '4xx': ErrorResponse, '5xx': ErrorResponse } as const;
/** Error answers of a route behind a token (401, 403, 429 and the rest: the same shape). */
export const AUTH_ERRORS = ERRORS;

export const UNAVAILABLE = (what: string) => apiError(503, 'E_UNAVAILABLE', what);

/** The ops data, or a 503 answer sent when the node has none (a bare discovery node). */
export function opsOr503(deps: ApiDeps, reply: FastifyReply): OpsDeps | undefined {
  if (deps.ops) return deps.ops;
  void reply.code(503).send(UNAVAILABLE('this node serves no ops data'));
  return undefined;
}
