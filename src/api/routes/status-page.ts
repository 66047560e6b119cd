/**
 * GET /: a small status page for people, self-contained (no CDN, no external fonts). The page
 * itself holds no node data and needs no token; it asks for the reader token once, keeps it in
 * the tab's sessionStorage only, and reads /v1/node, /v1/bootstrap, /v1/peers and /v1/cluster.
 */
import type { FastifyPluginAsync } from 'fastify';
import { STATUS_PAGE_HTML } from './status-page-html.js';

export const statusPageRoutes: FastifyPluginAsync = async (app) => {
  app.get('/', { config: { auth: 'none' }, schema: { hide: true } }, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
      )
      .send(STATUS_PAGE_HTML),
  );
};
