/** GET /v1/hardware: the inventory as the boot read it; `?refresh=true` reads the hardware again. */
import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { HardwareQuery, InventoryResponse } from '../ops-schemas.js';
import { AUTH_ERRORS, UNAVAILABLE, opsOr503, type RouteOptions } from './common.js';

export const hardwareRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  app.get<{ Querystring: Static<typeof HardwareQuery> }>(
    '/v1/hardware',
    { schema: { tags: ['node'], querystring: HardwareQuery, response: { 200: InventoryResponse, ...AUTH_ERRORS } } },
    async (req, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      if (req.query.refresh === true) return ops.refreshInventory();
      const inventory = ops.inventory();
      return inventory ?? reply.code(503).send(UNAVAILABLE('the hardware has not been read yet (still booting)'));
    },
  );
};
