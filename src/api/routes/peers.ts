/** GET /v1/peers: the peer table, and how many adverts were rejected, by reason. */
import type { FastifyPluginAsync } from 'fastify';
import { PeersResponse } from '../ops-schemas.js';
import { AUTH_ERRORS, opsOr503, type RouteOptions } from './common.js';

export const peersRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/v1/peers',
    { schema: { tags: ['cluster'], response: { 200: PeersResponse, ...AUTH_ERRORS } } },
    async (_r, reply) => {
      const ops = opsOr503(deps, reply);
      return ops ? ops.peersView() : reply;
    },
  );
};
