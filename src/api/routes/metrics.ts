/** GET /metrics: the node's metrics registry in Prometheus text format (reader token). */
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AUTH_ERRORS, UNAVAILABLE, type RouteOptions } from './common.js';

export const metricsRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['metrics'],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text format 0.0.4' }), ...AUTH_ERRORS },
      },
    },
    async (_req, reply) => {
      const m = deps.metrics;
      if (!m) return reply.code(503).send(UNAVAILABLE('this node keeps no metrics'));
      const text = await m.text();
      return reply.type(m.registry.contentType).send(text);
    },
  );
};
