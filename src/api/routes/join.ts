/**
 * The join routes (src/node/join-wire.ts has the exchange): POST /v1/join/challenge gives a
 * one-time challenge, POST /v1/join takes the joiner's proof and answers with the sealed role
 * and token. Until the node serves joiners both answer 503 E_NOT_READY. Every failed check is
 * the one 403 E_JOIN_REFUSED (an attacker learns nothing about which check failed); a source
 * over its rate gets 429 E_RATE_LIMITED with Retry-After; unreadable requests (400) count as
 * failures of their source. All errors in the one shape (api-error.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import {
  isRefusal,
  JOIN_IV,
  JOIN_RANDOM,
  MAX_SEALED_LENGTH,
  type JoinEndpoint,
  type JoinRefusal,
} from '../../node/join-wire.js';
import { FLEET_ID, NODE_ID, SIGNATURE } from '../../node/wire.js';
import { apiError, apiErrorOf } from '../api-error.js';
import { ErrorResponse } from '../schemas.js';

export interface JoinRouteDeps {
  /** Undefined until this node serves joiners (a cluster server with its tokens): 503. */
  join(): JoinEndpoint | undefined;
  onInternalError?(err: unknown): void;
}

const FleetId = Type.String({ pattern: FLEET_ID.source, description: 'the fleet ID (16 hex digits)' });
const Random = Type.String({ pattern: JOIN_RANDOM.source, description: '32 random bytes, base64url' });
const Mac = Type.String({ pattern: SIGNATURE.source, description: 'base64url HMAC-SHA256 with the fleet key' });

export const JoinChallengeRequest = Type.Object({ fleetId: FleetId }, { additionalProperties: false });
export type JoinChallengeRequest = Static<typeof JoinChallengeRequest>;

export const JoinChallengeResponse = Type.Object(
  {
    challenge: Random,
    serverNodeId: Type.String({ pattern: NODE_ID.source }),
    expiresInMs: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export const JoinRequest = Type.Object(
  {
    fleetId: FleetId,
    nodeId: Type.String({ pattern: NODE_ID.source, description: "the joiner's node ID" }),
    challenge: Random,
    nonce: Random,
    proof: Mac,
  },
  { additionalProperties: false },
);
export type JoinRequest = Static<typeof JoinRequest>;

export const JoinResponse = Type.Object(
  {
    iv: Type.String({ pattern: JOIN_IV.source }),
    sealed: Type.String({ pattern: '^[A-Za-z0-9_-]+$', maxLength: MAX_SEALED_LENGTH }),
    proof: Mac,
  },
  { additionalProperties: false },
);

const NOT_SERVING = apiError(503, 'E_NOT_READY', 'this node takes no joiners (it is no cluster server yet)');
const REFUSED = apiError(403, 'E_JOIN_REFUSED', 'join refused');
const UNAVAILABLE = apiError(503, 'E_JOIN_UNAVAILABLE', 'this server cannot take joiners now; ask again later');
const ERRORS = {
  400: ErrorResponse,
  403: ErrorResponse,
  413: ErrorResponse,
  415: ErrorResponse,
  429: ErrorResponse,
  500: ErrorResponse,
  503: ErrorResponse,
} as const;

function refuse(reply: FastifyReply, r: JoinRefusal): FastifyReply {
  if (r.refusal === 'rate-limited') {
    const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
    return reply
      .code(429)
      .header('retry-after', String(seconds))
      .send(apiError(429, 'E_RATE_LIMITED', `too many requests from this address; ask again in ${seconds} s`));
  }
  if (r.refusal === 'unavailable') return reply.code(503).send(UNAVAILABLE);
  return reply.code(403).send(REFUSED);
}

export const joinRoutes: FastifyPluginAsync<JoinRouteDeps> = async (app, deps) => {
  // No API token: joiners have none; the exchange carries its own proof (the auth plugin reads this).
  const config = { auth: 'none' as const };
  // Before the body is read: a limited source costs no parsing.
  app.addHook('onRequest', async (req, reply) => {
    const join = deps.join();
    if (!join) return reply.code(503).send(NOT_SERVING);
    const limited = join.admit(req.ip);
    if (limited) return refuse(reply, limited);
  });
  // This plugin's own error handler (Fastify encapsulation): unreadable requests count as failures.
  app.setErrorHandler(async (err, req, reply) => {
    const answer = apiErrorOf(err);
    if (answer.statusCode === 500) deps.onInternalError?.(err);
    else deps.join()?.garbage(req.ip);
    return reply.code(answer.statusCode).send(answer);
  });

  app.post<{ Body: JoinChallengeRequest }>(
    '/v1/join/challenge',
    { config, schema: { body: JoinChallengeRequest, response: { 200: JoinChallengeResponse, ...ERRORS } } },
    async (req, reply) => {
      const join = deps.join();
      if (!join) return reply.code(503).send(NOT_SERVING);
      const answer = join.challenge(req.body, req.ip);
      return isRefusal(answer) ? refuse(reply, answer) : answer;
    },
  );

  app.post<{ Body: JoinRequest }>(
    '/v1/join',
    { config, schema: { body: JoinRequest, response: { 200: JoinResponse, ...ERRORS } } },
    async (req, reply) => {
      const join = deps.join();
      if (!join) return reply.code(503).send(NOT_SERVING);
      const answer = await join.join(req.body, req.ip);
      return isRefusal(answer) ? refuse(reply, answer) : answer;
    },
  );
};
