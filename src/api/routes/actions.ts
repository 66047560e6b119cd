/**
 * POST /v1/actions/reboot and POST /v1/actions/rejoin (admin token; the body must name the
 * action in `confirm`, so a stray POST does nothing). Answered 202 before the action runs.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { ActionResponse, RebootRequest, RejoinRequest } from '../ops-schemas.js';
import { AUTH_ERRORS, opsOr503, type RouteOptions } from './common.js';

export const actionRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  const config = { auth: 'admin' as const };
  const response = { 202: ActionResponse, ...AUTH_ERRORS };
  app.post<{ Body: Static<typeof RebootRequest> }>(
    '/v1/actions/reboot',
    { config, bodyLimit: 1024, schema: { tags: ['actions'], body: RebootRequest, response } },
    async (_req, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      reply.raw.once('finish', () => void ops.actions.reboot().catch((e: unknown) => deps.onInternalError?.(e)));
      return reply.code(202).send({ accepted: true, action: 'reboot', message: 'rebooting now' });
    },
  );
  app.post<{ Body: Static<typeof RejoinRequest> }>(
    '/v1/actions/rejoin',
    { config, bodyLimit: 1024, schema: { tags: ['actions'], body: RejoinRequest, response } },
    async (req, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      const { clusterId } = req.body;
      reply.raw.once(
        'finish',
        () => void ops.actions.rejoin(clusterId).catch((e: unknown) => deps.onInternalError?.(e)),
      );
      const to = clusterId !== undefined ? `cluster ${clusterId}` : 'the cluster it finds';
      return reply.code(202).send({ accepted: true, action: 'rejoin', message: `leaving and joining ${to}` });
    },
  );
};
