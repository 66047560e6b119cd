/**
 * POST /v1/actions/reboot, /v1/actions/rejoin and /v1/actions/leave (admin token; the body must
 * name the action in `confirm`, so a stray POST does nothing). Answered 202 before the action
 * runs; a leave that may not happen (the last server, quorum) is answered 409 saying why.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { isNucmeshError } from '../../errors.js';
import { apiError } from '../api-error.js';
import { ActionResponse, LeaveRequest, RebootRequest, RejoinRequest } from '../ops-schemas.js';
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
  app.post<{ Body: Static<typeof LeaveRequest> }>(
    '/v1/actions/leave',
    { config, bodyLimit: 1024, schema: { tags: ['actions'], body: LeaveRequest, response } },
    async (_req, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      try {
        await ops.actions.leave();
      } catch (e) {
        if (isNucmeshError(e) && e.code === 'E_LEAVE_REFUSED')
          return reply.code(409).send(apiError(409, 'E_LEAVE_REFUSED', e.message));
        if (isNucmeshError(e) && e.code === 'E_KUBE_API')
          return reply.code(503).send(apiError(503, 'E_KUBE_API', e.message));
        throw e;
      }
      const message = 'cordoning and draining; GET /v1/node shows the progress until the state is left';
      return reply.code(202).send({ accepted: true, action: 'leave', message });
    },
  );
};
