/**
 * The routes peers call, without a token but each with its own proof: POST /v1/heartbeat
 * (challenge–response proof of the fleet key, for liveness) and POST /v1/down-notice (a ring
 * monitor's notice that a peer is dead, authenticated by its MAC with the fleet key).
 */
import type { FastifyPluginAsync } from 'fastify';
import { heartbeatProof } from '../../node/fleet-crypto.js';
import { apiError } from '../api-error.js';
import { DownNoticeRequest, DownNoticeResponse, HeartbeatRequest, HeartbeatResponse } from '../schemas.js';
import { ERRORS, type RouteOptions } from './common.js';

export const NOT_READY = apiError(
  503,
  'E_NOT_READY',
  'discovery is not running (no fleet config yet, or still starting)',
);
export const STOPPING = apiError(503, 'E_STOPPING', 'node is shutting down');

export const peerRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  const config = { auth: 'none' as const };
  app.post<{ Body: HeartbeatRequest }>(
    '/v1/heartbeat',
    {
      config,
      bodyLimit: 1024,
      schema: {
        tags: ['peers'],
        body: HeartbeatRequest,
        response: { 200: HeartbeatResponse, ...ERRORS },
      },
    },
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
      config,
      bodyLimit: 1024,
      schema: {
        tags: ['peers'],
        body: DownNoticeRequest,
        response: { 200: DownNoticeResponse, ...ERRORS },
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
};
