/**
 * The node's HTTP API as a Fastify app, built from its dependencies (no globals, no I/O of
 * its own), so tests use `app.inject` and the server module only listens.
 * Routes: GET /v1/health (no auth, no secrets: state, and why when the node cannot go on),
 * POST /v1/heartbeat (challenge–response proof of the fleet key, for peer liveness),
 * POST /v1/down-notice (a ring monitor's notice that a peer is dead, authenticated by its own
 * MAC with the fleet key), POST /v1/join/challenge and /v1/join (routes/join.ts: the secure join
 * exchange). Every error answer has one shape (api-error.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { NodeStateName } from '../node/node-state.js';
import { heartbeatProof } from '../node/fleet-crypto.js';
import type { DownNotice, NoticeVerdict } from '../node/notice.js';
import type { JoinEndpoint } from '../node/join-wire.js';
import { apiError, apiErrorOf } from './api-error.js';
import { joinRoutes } from './routes/join.js';
import {
  DownNoticeRequest,
  DownNoticeResponse,
  ErrorResponse,
  HealthResponse,
  HeartbeatRequest,
  HeartbeatResponse,
} from './schemas.js';

/** What the peer routes need once discovery runs (it needs the fleet key). */
export interface PeerEndpoints {
  fleetKey: Buffer;
  /** Current advert generation. */
  generation(): number;
  /** Judge and apply a down notice. */
  downNotice(notice: DownNotice): NoticeVerdict;
}

export interface ApiDeps {
  version: string;
  /** This node's ID; empty until the identity is known. */
  nodeId(): string;
  /** Current state and why (read at each request). */
  state(): { state: NodeStateName; detail?: string; step?: string };
  /** True once the node is shutting down: heartbeats then fail so peers drop it at once. */
  stopping(): boolean;
  /** Undefined until discovery runs (no fleet config yet): the peer routes answer 503. */
  peers(): PeerEndpoints | undefined;
  /** The join server once this node takes joiners (POST /v1/join…); undefined (or absent): 503. */
  join?(): JoinEndpoint | undefined;
  /** Told of every error that answered 500 (the answer itself says only "internal error"). */
  onInternalError?(err: unknown): void;
}

const NOT_READY = apiError(503, 'E_NOT_READY', 'discovery is not running (no fleet config yet, or still starting)');
const STOPPING = apiError(503, 'E_STOPPING', 'node is shutting down');
/** Error answers a route may give besides its own; all in the one shape. */
const ERRORS = { 400: ErrorResponse, 404: ErrorResponse, 500: ErrorResponse } as const;

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 4096,
    // Fastify's own 503 while closing has another shape: the hooks below answer instead.
    return503OnClosing: false,
    ajv: { customOptions: { removeAdditional: false } },
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (closing) return reply.code(503).header('connection', 'close').send(STOPPING);
  });

  app.get('/v1/health', { schema: { response: { 200: HealthResponse, ...ERRORS } } }, async () => {
    const { state, detail, step } = deps.state();
    const why = { ...(detail !== undefined ? { detail } : {}), ...(step !== undefined ? { step } : {}) };
    return { status: 'ok' as const, nodeId: deps.nodeId(), state, ...why, version: deps.version };
  });

  app.post<{ Body: HeartbeatRequest }>(
    '/v1/heartbeat',
    { schema: { body: HeartbeatRequest, response: { 200: HeartbeatResponse, 503: ErrorResponse, ...ERRORS } } },
    async (req, reply) => {
      if (deps.stopping()) return reply.code(503).send(STOPPING);
      const peers = deps.peers();
      if (!peers) return reply.code(503).send(NOT_READY);
      const generation = peers.generation();
      const nodeId = deps.nodeId();
      const proof = heartbeatProof(peers.fleetKey, req.body.nonce, nodeId, generation);
      return { nodeId, generation, state: deps.state().state, proof };
    },
  );

  app.post<{ Body: DownNoticeRequest }>(
    '/v1/down-notice',
    {
      schema: {
        body: DownNoticeRequest,
        response: { 200: DownNoticeResponse, 403: ErrorResponse, 503: ErrorResponse, ...ERRORS },
      },
    },
    async (req, reply) => {
      const peers = deps.peers();
      if (!peers) return reply.code(503).send(NOT_READY);
      const verdict = peers.downNotice(req.body);
      if (verdict === 'bad-mac') {
        return reply.code(403).send(apiError(403, 'E_BAD_NOTICE', 'the notice MAC does not verify with the fleet key'));
      }
      if (verdict === 'other-fleet') {
        return reply.code(403).send(apiError(403, 'E_BAD_NOTICE', `fleet ID ${req.body.fleetId} is not ours`));
      }
      return { verdict };
    },
  );

  void app.register(joinRoutes, { join: () => deps.join?.(), onInternalError: (e) => deps.onInternalError?.(e) });

  app.setNotFoundHandler(async (req, reply) => {
    const path = (req.url.split('?')[0] ?? '').slice(0, 200);
    return reply.code(404).send(apiError(404, 'E_NOT_FOUND', `no route ${req.method} ${path}`));
  });
  app.setErrorHandler(async (err, _req, reply) => {
    const answer = apiErrorOf(err);
    if (answer.statusCode === 500) deps.onInternalError?.(err);
    return reply.code(answer.statusCode).send(answer);
  });
  return app;
}
