/**
 * GET /v1/node (who and what this node is, now) and GET /v1/bootstrap (every boot step).
 * /v1/node is serialized (through its response schema) once per state and second at most.
 */
import type { FastifyPluginAsync } from 'fastify';
import { answerCache } from './answer-cache.js';
import { BootstrapResponse, NodeResponse } from '../ops-schemas.js';
import { AUTH_ERRORS, JSON_TYPE, opsOr503, type RouteOptions } from './common.js';

export const nodeRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps, cacheMs }) => {
  const cache = answerCache(cacheMs ?? 1000);
  app.get(
    '/v1/node',
    { schema: { tags: ['node'], response: { 200: NodeResponse, ...AUTH_ERRORS } } },
    async (_r, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      // reply.serialize: the route's 200 serializer, so only what NodeResponse lists leaves.
      const body = cache.get(deps.state(), () => reply.serialize(ops.node()) as string);
      return reply.type(JSON_TYPE).send(body);
    },
  );

  app.get(
    '/v1/bootstrap',
    { schema: { tags: ['node'], response: { 200: BootstrapResponse, ...AUTH_ERRORS } } },
    async (_r, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      const { state, step } = deps.state();
      return { state, ...(step !== undefined ? { step } : {}), steps: await ops.bootSteps() };
    },
  );
};
