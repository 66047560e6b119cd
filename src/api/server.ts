/** Listening with the API app on the configured address and port. */
import type { FastifyInstance } from 'fastify';
import { NucmeshError } from '../errors.js';

export interface ApiServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function startApiServer(app: FastifyInstance, host: string, port: number): Promise<ApiServer> {
  try {
    await app.listen({ host, port });
  } catch (e) {
    throw new NucmeshError(
      'E_API_LISTEN',
      `cannot listen on ${host}:${port} for the API: ${(e as Error).message}; set api.port or --api-port to a free port`,
      { data: { host, port }, cause: e },
    );
  }
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return { address: host, port: bound, close: () => app.close() };
}
