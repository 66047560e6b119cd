/**
 * The node's HTTP API as a Fastify app, built from its dependencies (no globals, no I/O of
 * its own), so tests use `app.inject` and the server module only listens.
 * Routes: GET /v1/health (no auth, no secrets: state, and why when the node cannot go on), POST /v1/heartbeat (challenge–response proof
 * of the fleet key, for peer liveness), POST /v1/down-notice (a ring monitor's notice that a
 * peer is dead, authenticated by its own MAC with the fleet key).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { NodeStateName } from '../node/node-state.js';
import { heartbeatProof } from '../node/fleet-crypto.js';
import type { DownNotice, NoticeVerdict } from '../node/notice.js';
import { DownNoticeRequest, DownNoticeResponse, ErrorResponse, HealthResponse, HeartbeatRequest, HeartbeatResponse } from './schemas.js';

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
  state(): { state: NodeStateName; detail?: string };
  /** True once the node is shutting down: heartbeats then fail so peers drop it at once. */
  stopping(): boolean;
  /** Undefined until discovery runs (no fleet config yet): the peer routes answer 503. */
  peers(): PeerEndpoints | undefined;
}

const NOT_READY = { code: 'E_NOT_READY', message: 'discovery is not running (no fleet config yet, or still starting)' };

export function buildApp(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 4096, return503OnClosing: true, ajv: { customOptions: { removeAdditional: false } } });

  app.get('/v1/health', { schema: { response: { 200: HealthResponse } } }, async () => {
    const { state, detail } = deps.state();
    return { status: 'ok' as const, nodeId: deps.nodeId(), state, ...(detail !== undefined ? { detail } : {}), version: deps.version };
  });

  app.post<{ Body: HeartbeatRequest }>(
    '/v1/heartbeat',
    { schema: { body: HeartbeatRequest, response: { 200: HeartbeatResponse, 503: ErrorResponse } } },
    async (req, reply) => {
      if (deps.stopping()) return reply.code(503).send({ code: 'E_STOPPING', message: 'node is shutting down' });
      const peers = deps.peers();
      if (!peers) return reply.code(503).send(NOT_READY);
      const generation = peers.generation();
      const nodeId = deps.nodeId();
      return { nodeId, generation, state: deps.state().state, proof: heartbeatProof(peers.fleetKey, req.body.nonce, nodeId, generation) };
    },
  );

  app.post<{ Body: DownNoticeRequest }>(
    '/v1/down-notice',
    { schema: { body: DownNoticeRequest, response: { 200: DownNoticeResponse, 403: ErrorResponse, 503: ErrorResponse } } },
    async (req, reply) => {
      const peers = deps.peers();
      if (!peers) return reply.code(503).send(NOT_READY);
      const verdict = peers.downNotice(req.body);
      if (verdict === 'bad-mac') return reply.code(403).send({ code: 'E_BAD_NOTICE', message: 'the notice MAC does not verify with the fleet key' });
      if (verdict === 'other-fleet') return reply.code(403).send({ code: 'E_BAD_NOTICE', message: `fleet ID ${req.body.fleetId} is not ours` });
      return { verdict };
    },
  );

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void reply.code(status).send({ code: err.code ?? 'E_INTERNAL', message: status === 500 ? 'internal error' : err.message });
  });
  return app;
}
