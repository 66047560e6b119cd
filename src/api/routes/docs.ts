/**
 * GET /openapi.json (the OpenAPI 3 document, generated from the routes' schemas by
 * @fastify/swagger) and /docs (Swagger UI, its files served from the installed package: the
 * warehouse LAN may have no internet). Both are documentation, no node data: no token, so a
 * browser can open them; the routes they describe still need one.
 */
import type { FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

const docs: FastifyPluginAsync<{ version: string }> = async (app, { version }) => {
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, auth: 'none' };
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'nucmesh node API', version, description: 'Diagnostics and operations of one nucmesh node.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { persistAuthorization: false } });
  app.get('/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
};

/** Not encapsulated: swagger sees the routes registered beside it. */
export const docsRoutes = fp(docs, { name: 'nucmesh-docs' });
