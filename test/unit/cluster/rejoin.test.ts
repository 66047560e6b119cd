import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareRejoin } from '../../../src/cluster/rejoin.js';

function seedDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-rejoin-'));
  writeFileSync(
    path.join(dir, 'cluster.json'),
    JSON.stringify({ version: 1, formation: 'seed', clusterId: 'lab-0000aaaa', everReady: true }),
  );
  writeFileSync(path.join(dir, 'seed-tokens.json'), '{"token":"t","agentToken":"a"}');
  writeFileSync(path.join(dir, 'join-secret.json'), '{}');
  return dir;
}

test('prepareRejoin: k3s stopped and wiped, the cluster forgotten, the request left', async () => {
  const dir = seedDir();
  const calls: string[] = [];
  const k3s = { stop: async () => void calls.push('stop'), wipe: async () => void calls.push('wipe') };
  try {
    assert.deepEqual(await prepareRejoin(dir, 'lab-1111bbbb', k3s), { left: 'lab-0000aaaa' });
    assert.deepEqual(calls, ['stop', 'wipe']);
    for (const f of ['cluster.json', 'seed-tokens.json', 'join-secret.json'])
      assert.equal(existsSync(path.join(dir, f)), false, f);
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'rejoin.json'), 'utf8')), {
      version: 1,
      clusterId: 'lab-1111bbbb',
    });

    // Without a cluster ID: forgotten, and no request (an earlier one is dropped): the node decides anew.
    assert.deepEqual(await prepareRejoin(dir, undefined, k3s), {});
    assert.equal(existsSync(path.join(dir, 'rejoin.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
