/**
 * GET /v1/logs?unit=&since=&lines=&follow=: log lines as JSON. Only the listed units (nucmesh,
 * k3s, k3s-agent, kernel), at most MAX_LOG_LINES lines; the query is checked by its schema, so
 * no other unit name (nor a path) reaches journalctl. `follow=true` streams one JSON line per
 * log line (application/x-ndjson) until the client goes away.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { LogsQuery, LogsResponse, type LogLine } from '../ops-schemas.js';
import { AUTH_ERRORS, opsOr503, type RouteOptions } from './common.js';

export const logsRoutes: FastifyPluginAsync<RouteOptions> = async (app, { deps }) => {
  app.get<{ Querystring: LogsQuery }>(
    '/v1/logs',
    {
      schema: {
        tags: ['node'],
        querystring: LogsQuery,
        response: { 200: LogsResponse, ...AUTH_ERRORS },
        description: 'With follow=true the answer is application/x-ndjson, one LogLine per line, until closed.',
      },
    },
    async (req, reply) => {
      const ops = opsOr503(deps, reply);
      if (!ops) return reply;
      const q = req.query;
      const query = {
        unit: q.unit ?? 'nucmesh',
        lines: q.lines ?? 200,
        follow: q.follow ?? false,
        ...(q.since !== undefined ? { since: q.since } : {}),
      };
      const logs = await ops.logs(query);
      if (!query.follow) {
        const lines: LogLine[] = [];
        try {
          for await (const l of logs.lines) lines.push(l);
        } finally {
          logs.close();
        }
        return { source: logs.source, lines: lines.slice(-query.lines) };
      }
      async function* ndjson(): AsyncGenerator<string> {
        for await (const l of logs.lines) {
          yield JSON.stringify({ time: l.time, unit: l.unit, priority: l.priority, message: l.message }) + '\n';
        }
      }
      const body = Readable.from(ndjson());
      const stop = (): void => {
        logs.close();
        body.destroy();
      };
      req.raw.once('close', stop);
      reply.raw.once('close', stop);
      return reply.type('application/x-ndjson').header('x-log-source', logs.source).send(body);
    },
  );
};
