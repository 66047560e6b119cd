/**
 * Health without a token, and without secrets: GET /healthz (the process answers), GET /readyz
 * (200 once the boot sequence reached its ready state, else 503 with the state), GET /v1/health
 * (state, and why when the node cannot go on; the VM tests and the banner's users read it).
 */
import type { FastifyPluginAsync } from 'fastify';
import { HealthResponse } from '../schemas.js';
import { HealthzResponse, ReadyzResponse } from '../ops-schemas.js';
import { ERRORS, type RouteOptions } from './common.js';

export const healthRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  const open = { auth: 'none' as const };
  app.get(
    '/healthz',
    { config: open, schema: { tags: ['health'], response: { 200: HealthzResponse, ...ERRORS } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    { config: open, schema: { tags: ['health'], response: { 200: ReadyzResponse, 503: ReadyzResponse, ...ERRORS } } },
    async (_req, reply) => {
      const { state, step } = deps.state();
      const ready = deps.ready ? deps.ready() : state !== 'booting';
      return reply.code(ready ? 200 : 503).send({ ready, state, ...(step !== undefined ? { step } : {}) });
    },
  );

  app.get(
    '/v1/health',
    { config: open, schema: { tags: ['health'], response: { 200: HealthResponse, ...ERRORS } } },
    async () => {
      const { state, detail, step } = deps.state();
      const why = { ...(detail !== undefined ? { detail } : {}), ...(step !== undefined ? { step } : {}) };
      return { status: 'ok' as const, nodeId: deps.nodeId(), state, ...why, version: deps.version };
    },
  );
};
