/** GET /v1/node (who and what this node is, now) and GET /v1/bootstrap (every boot step). */
import type { FastifyPluginAsync } from 'fastify';
import { BootstrapResponse, NodeResponse } from '../ops-schemas.js';
import { AUTH_ERRORS, opsOr503, type RouteOptions } from './common.js';

export const nodeRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/v1/node',
    { schema: { tags: ['node'], response: { 200: NodeResponse, ...AUTH_ERRORS } } },
    async (_r, reply) => {
      const ops = opsOr503(deps, reply);
      return ops ? ops.node() : reply;
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
