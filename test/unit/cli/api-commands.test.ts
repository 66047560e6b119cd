import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApiServer } from '../../../src/api/server.js';
import { makeNodeCertificate } from '../../../src/api/node-cert.js';
import { runCli } from '../../helpers/cli.js';
import { leaked, opsApp, SECRETS } from '../../helpers/api-fixture.js';
import { testCertificate } from '../../helpers/tls.js';

// --pin=PIN, not --pin PIN: a pin may start with '-' (base64url).
test('nucmesh status, logs and bundle against a node: plain to loopback, pinned HTTPS with --pin', async () => {
  const cert = await testCertificate();
  const s = await startApiServer(opsApp().app, { host: '127.0.0.1', port: 0, tls: cert });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-cli-api-'));
  const at = ['--host', '127.0.0.1', '--port', String(s.port)];
  try {
    const json = await runCli(['status', ...at, '--token', SECRETS.reader, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout) as { node: { model: string }; peers: { peers: unknown[] }; cluster: object };
    assert.equal(view.node.model, 'NUC11TNHi5');
    assert.equal(view.peers.peers.length, 1);
    assert.ok('unavailable' in view.cluster);

    const human = await runCli(['status', ...at, `--pin=${cert.fingerprint}`], {
      env: { NUCMESH_TOKEN: SECRETS.reader },
    });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /state\s+forming/);
    assert.match(human.stdout, /peers\s+1: nuc-bb11bb22 \(forming\)/);

    const wrongPin = await runCli([
      'status',
      ...at,
      '--pin',
      (await makeNodeCertificate({ hostname: 'x' })).fingerprint,
    ]);
    assert.equal(wrongPin.code, 1, wrongPin.stderr);
    assert.match(wrongPin.stderr, /not the pinned one/);

    const noToken = await runCli(['status', ...at]);
    assert.equal(noToken.code, 1, noToken.stderr);
    assert.match(noToken.stderr, /401/);

    const logs = await runCli(['logs', ...at, '--token', SECRETS.reader, '--lines', '5']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /fleet config loaded/);

    const file = path.join(dir, 'bundle.tar.gz');
    const reader = await runCli(['bundle', ...at, '--token', SECRETS.reader, '-o', file]);
    assert.equal(reader.code, 1, 'the reader token cannot download a bundle');
    const bundle = await runCli(['bundle', ...at, '--token', SECRETS.admin, '-o', file]);
    assert.equal(bundle.code, 0, bundle.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(statSync(file).size > 100);
    for (const r of [json, human, wrongPin, noToken, logs, reader, bundle])
      assert.deepEqual(leaked(r.stdout + r.stderr), []);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
