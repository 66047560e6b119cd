import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { chooseFormat, createLogger } from '../../src/log.js';

function capture(): { stream: PassThrough; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, lines: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('log lines are JSON with level, message and fields', () => {
  const { stream, lines } = capture();
  const log = createLogger({ format: 'json', destination: stream });
  log.info({ step: 'identity' }, 'boot step identity: done');
  const [line] = lines();
  assert.equal(line?.['msg'], 'boot step identity: done');
  assert.equal(line?.['step'], 'identity');
  assert.equal(line?.['level'], 30);
});

test('secrets in log fields are redacted', () => {
  const { stream, lines } = capture();
  const log = createLogger({ format: 'json', destination: stream });
  const secret = 'S3CRET-value-that-must-not-appear';
  log.info({ key: secret, token: secret, config: { key: secret, api: { tokens: { admin: secret } } }, peer: { token: secret } }, 'with secrets');
  const text = JSON.stringify(lines());
  assert.ok(!text.includes(secret), text);
  assert.match(text, /\[redacted\]/);
});

test('format: json off a TTY, pretty on one, env overrides', () => {
  assert.equal(chooseFormat({}, false), 'json');
  assert.equal(chooseFormat({}, true), 'pretty');
  assert.equal(chooseFormat({ NUCMESH_LOG_FORMAT: 'json' }, true), 'json');
  assert.equal(chooseFormat({ NUCMESH_LOG_FORMAT: 'pretty' }, false), 'pretty');
});
