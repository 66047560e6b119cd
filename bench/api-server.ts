/**
 * The server side of the API benchmark (bench/api.ts), one process each:
 *   node api-server.js agent DIR   a real agent (synthetic NUC capture, fleet config in DIR, no real interface)
 *   node api-server.js bare DIR    a bare Fastify app answering a constant, on the same TLS listener
 * Both use DIR's node certificate and print {"port": N} once listening.
 */
import path from 'node:path';
import Fastify from 'fastify';
import { createLogger } from '../src/log.js';
import { startAgent } from '../src/agent/agent.js';
import { startApiServer } from '../src/api/server.js';
import { ensureNodeCertificate } from '../src/api/node-cert.js';
import { ownFixturesDir } from '../test/helpers/paths.js';

const [kind, dir] = process.argv.slice(2);
if (!dir || (kind !== 'agent' && kind !== 'bare')) {
  console.error('usage: api-server agent|bare DIR');
  process.exit(2);
}
const dataDir = path.join(dir, 'data');
if (kind === 'bare') {
  const app = Fastify({ logger: false });
  app.get('/const', async () => ({ ok: true }));
  const s = await startApiServer(app, {
    host: '127.0.0.1',
    port: 0,
    tls: await ensureNodeCertificate(dataDir, { hostname: 'bench' }),
  });
  console.log(JSON.stringify({ port: s.port }));
} else {
  const options = {
    fleetFile: path.join(dir, 'fleet.yaml'),
    dataDir,
    hardwareFrom: path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7'),
    interfaces: ['nm-none0'],
    apiPort: 0,
  };
  const host = {
    espStatus: async () => ({ present: false }),
    mountedIsBootEsp: async () => false,
    startUnit: async () => {},
    reboot: async () => {},
  };
  const agent = startAgent(options, createLogger({ level: 'warn', format: 'json' }), host);
  // Discovery runs once the boot steps are done and the fleet config is loaded; the cluster part
  // then stops at k3s-missing (no k3s here), which is all the API's routes need.
  if (!(await agent.discovering)) throw new Error('the agent did not start discovery');
  console.log(JSON.stringify({ port: agent.apiPort() }));
}
setInterval(() => {}, 1 << 30);
// Exit normally when told to stop, so `node --cpu-prof` and `--heap-prof` write their profiles.
process.once('SIGTERM', () => process.exit(0));
