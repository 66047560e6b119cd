/**
 * GET /metrics: the node's metrics registry in Prometheus text format (reader token). The text is
 * rendered at most once a second (metrics.ts); its bytes, and their gzip for a scraper that
 * accepts it (Prometheus does), are made once per rendering.
 */
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { AUTH_ERRORS, UNAVAILABLE, type RouteOptions } from './common.js';

interface Rendered {
  text: string;
  plain: Buffer;
  gzip?: Buffer;
}

/** Does an Accept-Encoding header take gzip (RFC 9110 12.5.3; `gzip;q=0` refuses it)? */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

export const metricsRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  let last: Rendered | undefined;
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['metrics'],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text format 0.0.4' }), ...AUTH_ERRORS },
      },
    },
    async (req, reply) => {
      const m = deps.metrics;
      if (!m) return reply.code(503).send(UNAVAILABLE('this node keeps no metrics'));
      const text = await m.text();
      if (last?.text !== text) last = { text, plain: Buffer.from(text) };
      void reply.type(m.registry.contentType).header('vary', 'accept-encoding');
      if (!acceptsGzip(req.headers['accept-encoding'])) return reply.send(last.plain);
      last.gzip ??= gzipSync(last.plain);
      return reply.header('content-encoding', 'gzip').send(last.gzip);
    },
  );
};
