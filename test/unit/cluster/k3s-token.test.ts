import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  caHashOf,
  formatK3sToken,
  parseFullK3sToken,
  parseK3sToken,
  readK3sTokens,
} from '../../../src/cluster/k3s-token.js';
import { issue, makeCa } from '../../k3s-stand-in/pki.js';

const HASH = 'ab'.repeat(32);

test('tokens parse as token.go parseToken does', () => {
  assert.deepEqual(parseK3sToken(`K10${HASH}::server:s3cret`), {
    caHash: HASH,
    username: 'server',
    password: 's3cret',
  });
  // A bare secret is K10:::<secret>: no CA pin, an empty user.
  assert.deepEqual(parseK3sToken('s3cret'), { caHash: '', username: '', password: 's3cret' });
  assert.deepEqual(parseK3sToken('K10::node:pw:with:colons'), {
    caHash: '',
    username: 'node',
    password: 'pw:with:colons',
  });
  assert.deepEqual(parseK3sToken('abcdef.0123456789abcdef'), {
    caHash: '',
    username: 'abcdef',
    password: '0123456789abcdef',
  });
  assert.throws(() => parseK3sToken(''), /token must not be empty/);
  assert.throws(() => parseK3sToken('K10abc::server:x'), /invalid token CA hash length/);
  assert.throws(() => parseK3sToken(`K10${HASH}::server:`), /invalid token format/);
});

test('the full form is required where nucmesh passes a token on', () => {
  assert.equal(parseFullK3sToken(`K10${HASH}::node:x`).username, 'node');
  for (const bad of ['s3cret', 'K10::server:x', `K10${HASH.toUpperCase()}::server:x`])
    assert.throws(() => parseFullK3sToken(bad), { code: 'E_K3S_TOKEN' }, bad);
  const t = { caHash: HASH, username: 'server', password: 'p' };
  assert.deepEqual(parseFullK3sToken(formatK3sToken(t)), t);
});

test('the CA hash is of the file bytes for one certificate and of the root DER for a bundle', () => {
  const root = makeCa('k3s-server-ca@1');
  const single = Buffer.from(root.cert);
  assert.equal(caHashOf(single), createHash('sha256').update(single).digest('hex'));
  const leaf = issue(root, { commonName: 'leaf', sans: ['127.0.0.1'] });
  const bundle = Buffer.from(leaf.cert + root.cert);
  const rootDer = new X509Certificate(root.cert).raw;
  assert.equal(caHashOf(bundle), createHash('sha256').update(rootDer).digest('hex'));
  assert.notEqual(caHashOf(bundle), createHash('sha256').update(bundle).digest('hex'));
});

test('readK3sTokens reads the K10 files, follows the agent-token link and pins a bare secret', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-k3s-token-'));
  const server = path.join(dir, 'server');
  mkdirSync(path.join(server, 'tls'), { recursive: true });
  const ca = makeCa('k3s-server-ca@2').cert;
  writeFileSync(path.join(server, 'tls/server-ca.crt'), ca);
  const hash = caHashOf(Buffer.from(ca));
  writeFileSync(path.join(server, 'token'), `K10${hash}::server:pw\n`);
  symlinkSync(path.join(server, 'token'), path.join(server, 'agent-token'));
  assert.deepEqual(await readK3sTokens(dir), { server: `K10${hash}::server:pw`, agent: `K10${hash}::server:pw` });

  const bare = mkdtempSync(path.join(tmpdir(), 'nucmesh-k3s-token-'));
  mkdirSync(path.join(bare, 'server/tls'), { recursive: true });
  writeFileSync(path.join(bare, 'server/tls/server-ca.crt'), ca);
  writeFileSync(path.join(bare, 'server/token'), 'pw\n');
  writeFileSync(path.join(bare, 'server/agent-token'), 'apw\n');
  assert.deepEqual(await readK3sTokens(bare), { server: `K10${hash}::server:pw`, agent: `K10${hash}::node:apw` });

  await assert.rejects(readK3sTokens(path.join(dir, 'none')), { code: 'E_K3S_TOKEN' });
});
