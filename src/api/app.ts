/**
 * The node's API as a Fastify app, built from its dependencies (deps.ts: no globals, no I/O of
 * its own), so tests use `app.inject` and server.ts only listens. Each route group is a plugin
 * under routes/; auth.ts decides per route (config `auth`) who may call it. Every error answer
 * has one shape (api-error.ts), never a stack trace. Requests are counted in the metrics
 * registry by route pattern and status.
 */
import Fastify, { type FastifyInstance, type onResponseHookHandler } from 'fastify';
import { apiError, apiErrorOf } from './api-error.js';
import { auth } from './auth.js';
import type { ApiDeps } from './deps.js';
import { actionRoutes } from './routes/actions.js';
import { clusterRoutes } from './routes/cluster.js';
import { docsRoutes } from './routes/docs.js';
import { hardwareRoutes } from './routes/hardware.js';
import { healthRoutes } from './routes/health.js';
import { logsRoutes } from './routes/logs.js';
import { metricsRoutes } from './routes/metrics.js';
import { nodeRoutes } from './routes/node.js';
import { peerRoutes, STOPPING } from './routes/peer.js';
import { peersRoutes } from './routes/peers.js';
import { statusPageRoutes } from './routes/status-page.js';
import { supportBundleRoutes } from './routes/support-bundle.js';
import { joinRoutes } from './routes/join.js';

export type { ApiDeps, ApiTokens, OpsDeps, PeerEndpoints, LogStream, BundleFile } from './deps.js';

export interface AppOptions {
  /** OpenAPI document and Swagger UI (default on; the benchmark's bare twin goes without). */
  docs?: boolean;
  /** How long /v1/node's serialized answer may be served again while the state is the same (ms, default 1000). */
  cacheMs?: number;
}

export function buildApp(deps: ApiDeps, options: AppOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 4096,
    // Fastify's own 503 while closing has another shape: the hooks below answer instead.
    return503OnClosing: false,
    ajv: { customOptions: { removeAdditional: false } },
    // The server (server.ts) sets the socket timeouts; these bound what Fastify itself waits for.
    requestTimeout: 15_000,
  });

  // Callback hooks, not async ones: they run on every request, and a promise per request costs.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', (_req, reply, done) => {
    if (closing) void reply.code(503).header('connection', 'close').send(STOPPING);
    else done();
  });
  // Each route counts its own requests (its pattern known when it is added); unmatched ones are
  // counted by the not-found handler.
  const m = deps.metrics;
  if (m)
    app.addHook('onRoute', (route) => {
      const { url } = route;
      const count: onResponseHookHandler = (req, reply, done) => {
        m.countApiRequest(url, req.method, reply.statusCode);
        done();
      };
      route.onResponse = [...[route.onResponse ?? []].flat(), count];
    });

  void app.register(auth, { tokens: () => deps.tokens?.(), ...(m ? { metrics: m } : {}) });
  // Swagger and its UI are loaded on the first request for them (docs.ts).
  if (options.docs !== false) void app.register(docsRoutes, { version: deps.version });
  const routes = [
    healthRoutes,
    peerRoutes,
    nodeRoutes,
    hardwareRoutes,
    peersRoutes,
    clusterRoutes,
    logsRoutes,
    metricsRoutes,
    supportBundleRoutes,
    actionRoutes,
  ];
  for (const r of routes)
    void app.register(r, { deps, ...(options.cacheMs !== undefined ? { cacheMs: options.cacheMs } : {}) });
  void app.register(statusPageRoutes);
  void app.register(joinRoutes, {
    join: () => deps.join?.(),
    onInternalError: (e) => deps.onInternalError?.(e),
  });

  app.setNotFoundHandler(async (req, reply) => {
    m?.countApiRequest('unmatched', req.method, 404);
    const path = (req.url.split('?')[0] ?? '').slice(0, 200);
    return reply.code(404).send(apiError(404, 'E_NOT_FOUND', `no route ${req.method} ${path}`));
  });
  app.setErrorHandler(async (err, _req, reply) => {
    const answer = apiErrorOf(err);
    if (answer.statusCode === 500) deps.onInternalError?.(err);
    return reply.code(answer.statusCode).send(answer);
  });
  return app;
}
