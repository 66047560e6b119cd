import { test } from 'node:test';
import assert from 'node:assert/strict';
import { k3sVersionReader, parseK3sVersion } from '../../../src/agent/k3s-version.js';

test('parseK3sVersion reads the version line of `k3s --version`', () => {
  assert.equal(parseK3sVersion('k3s version v1.31.4+k3s1 (a1b2c3d4)\ngo version go1.23.4\n'), 'v1.31.4+k3s1');
  assert.equal(parseK3sVersion('k3s version v1.31.4+k3s1 (stand-in)\n'), 'v1.31.4+k3s1');
  for (const bad of ['', 'k3s: not found', 'k3s version (devel)', 'go version go1.23'])
    assert.equal(parseK3sVersion(bad), undefined, bad);
});

test('the k3s version is asked once, kept, and asked again a minute after a failure', async () => {
  let t = 0;
  const calls: string[] = [];
  let answer: () => Promise<string> = () => Promise.reject(new Error('ENOENT'));
  const version = k3sVersionReader('/usr/local/bin/k3s', {
    now: () => t,
    run: (bin) => (calls.push(bin), answer()),
  });
  const settle = () => new Promise((r) => setImmediate(r));
  assert.equal(version(), null);
  await settle();
  assert.equal(version(), null, 'not installed');
  assert.equal(calls.length, 1, 'not asked again at once');
  answer = async () => 'k3s version v1.30.2+k3s2 (faa4a6a2)\n';
  t = 60_000;
  assert.equal(version(), null);
  await settle();
  assert.equal(version(), 'v1.30.2+k3s2');
  t = 600_000;
  assert.equal(version(), 'v1.30.2+k3s2');
  assert.deepEqual(calls, ['/usr/local/bin/k3s', '/usr/local/bin/k3s'], 'kept once known');
});
