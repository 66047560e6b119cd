import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createLogger } from '../../../src/log.js';
import { createApiService, type ApiAddress } from '../../../src/agent/api-service.js';
import type { ApiDeps } from '../../../src/api/app.js';
import { testCertificate } from '../../helpers/tls.js';

const quiet = createLogger({ level: 'silent', format: 'json' });
const deps: ApiDeps = {
  version: '1',
  nodeId: () => 'n1',
  state: () => ({ state: 'booting' }),
  stopping: () => false,
  peers: () => undefined,
};

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('a taken port is a problem the node shows and retries; it listens once the port is free', async () => {
  const port = await freePort();
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));
  const abort = new AbortController();
  const api = createApiService({
    deps,
    wanted: () => ({ bind: '127.0.0.1', port }),
    tls: testCertificate,
    log: quiet,
    signal: abort.signal,
  });
  const listening = api.ensure();
  for (let i = 0; i < 100 && !api.problem(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(api.problem() ?? '', /cannot listen on 127\.0\.0\.1:\d+/);
  assert.equal(api.port(), undefined);
  await new Promise((r) => squatter.close(r));
  await listening; // the first retry is 2 s later
  assert.equal(api.port(), port);
  assert.equal(api.problem(), undefined);
  assert.equal((await fetch(`http://127.0.0.1:${port}/v1/health`)).status, 200);
  await api.close();
  abort.abort();
});

test('moves to a new address when the wanted one changes, and closes the old', async () => {
  const [first, second] = [await freePort(), await freePort()];
  let want: ApiAddress = { bind: '127.0.0.1', port: first };
  const api = createApiService({
    deps,
    wanted: () => want,
    tls: testCertificate,
    log: quiet,
    signal: new AbortController().signal,
  });
  await api.ensure();
  assert.equal(api.port(), first);
  await api.ensure();
  assert.equal(api.port(), first, 'the same address: nothing to do');
  want = { bind: '127.0.0.1', port: second };
  await api.ensure();
  assert.equal(api.port(), second);
  await assert.rejects(fetch(`http://127.0.0.1:${first}/v1/health`));
  assert.equal((await fetch(`http://127.0.0.1:${second}/v1/health`)).status, 200);
  await api.close();
});
