/** GET /v1/cluster: the Kubernetes nodes once k3s is up; 503 with the reason before. */
import type { FastifyPluginAsync } from 'fastify';
import { ClusterResponse } from '../ops-schemas.js';
import { AUTH_ERRORS, UNAVAILABLE, opsOr503, type RouteOptions } from './common.js';

export const clusterRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/v1/cluster',
    { schema: { tags: ['cluster'], response: { 200: ClusterResponse, ...AUTH_ERRORS } } },
    async (_r, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      const view = await ops.cluster();
      return 'unavailable' in view ? reply.code(503).send(UNAVAILABLE(view.unavailable)) : view;
    },
  );
};
