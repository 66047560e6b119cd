/**
 * GET /openapi.json (the OpenAPI 3 document, generated from the routes' schemas by
 * @fastify/swagger) and /docs (Swagger UI, its files served from the installed package: the
 * warehouse LAN may have no internet). Both are documentation, no node data: no token, so a
 * browser can open them; the routes they describe still need one.
 *
 * Loaded on first use: the app only notes each route's method, URL and schema as it is added;
 * the first request for the documentation builds a second Fastify app with swagger, Swagger UI
 * and those routes (described, never run), and the documentation routes answer from it. A node
 * nobody reads the documentation of never loads either package.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';

interface DescribedRoute {
  method: RouteOptions['method'];
  url: string;
  schema: NonNullable<RouteOptions['schema']>;
}

/** Headers of the documentation app's answer that the answering app sets itself. */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);
/** Request headers passed on (conditional requests, the encoding): nothing else matters to static files. */
const PASSED_HEADERS = ['accept', 'accept-encoding', 'if-none-match', 'if-modified-since'] as const;

const isDocsUrl = (url: string): boolean => url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');

async function buildDocsApp(version: string, routes: readonly DescribedRoute[]): Promise<FastifyInstance> {
  const [{ default: Fastify }, { default: swagger }, { default: swaggerUi }] = await Promise.all([
    import('fastify'),
    import('@fastify/swagger'),
    import('@fastify/swagger-ui'),
  ]);
  const d = Fastify({ logger: false });
  // The routes are here to be described: nothing validates or serializes with their schemas.
  d.setValidatorCompiler(() => () => true);
  d.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await d.register(swagger, {
    openapi: {
      info: { title: 'nucmesh node API', version, description: 'Diagnostics and operations of one nucmesh node.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await d.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { persistAuthorization: false } });
  d.get('/openapi.json', { schema: { hide: true } }, async () => d.swagger());
  for (const r of routes) d.route({ ...r, handler: async () => ({}) });
  await d.ready();
  return d;
}

const docs: FastifyPluginAsync<{ version: string }> = async (app, { version }) => {
  const routes: DescribedRoute[] = [];
  app.addHook('onRoute', (route) => {
    // HEAD routes are Fastify's own twins of the GET ones; the documentation app makes its own.
    if (route.method === 'HEAD' || isDocsUrl(route.url) || !route.schema) return;
    routes.push({ method: route.method, url: route.url, schema: route.schema });
  });
  let built: Promise<FastifyInstance> | undefined;
  const answer = async (req: FastifyRequest, reply: FastifyReply) => {
    built ??= buildDocsApp(version, routes);
    built.catch(() => (built = undefined));
    const headers: Record<string, string> = {};
    for (const h of PASSED_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const r = await (await built).inject({ method: 'GET', url: req.url, headers });
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !OWN_HEADERS.has(k)) void reply.header(k, v);
    return reply.code(r.statusCode).send(r.rawPayload);
  };
  const options = { config: { auth: 'none' as const }, schema: { hide: true } };
  app.get('/openapi.json', options, answer);
  app.get('/docs', options, answer);
  app.get('/docs/*', options, answer);
};

/** Not encapsulated: it notes the routes registered beside it. */
export const docsRoutes = fp(docs, { name: 'nucmesh-docs' });
