/**
 * scripts/k8s-test-bins.sh and the skip reason of the tests: without Go the script exits 3
 * saying what to install and the tests skip saying so (never a silent pass); a second run
 * over built parts only checks the stamp.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { repoRoot } from '../helpers/paths.js';
import { findGo, k8sPartsMissing } from '../k8s-parts/bins.js';

const script = path.join(repoRoot, 'scripts/k8s-test-bins.sh');

function run(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; ms: number } {
  const started = Date.now();
  const result = spawnSync('bash', [script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr, ms: Date.now() - started };
}

describe('scripts/k8s-test-bins.sh', () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'nucmesh-k8s-bins-'));
  after(() => rmSync(empty, { recursive: true, force: true }));

  it('exits 3 without Go, saying what to install', () => {
    const result = run(['--out', empty], { NUCMESH_GO: path.join(empty, 'no-go') });
    assert.equal(result.status, 3, result.stderr);
    assert.match(result.stderr, /Go not found .*Install Go >= 1\.26/s);
  });

  it('--check fails on parts not built', () => {
    const result = run(['--out', empty, '--check']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /not built/);
  });

  it('gives tests a skip reason naming the missing parts and what to install', () => {
    const reason = k8sPartsMissing(path.join(empty, 'v0/bin'));
    assert.ok(reason);
    assert.match(reason, /etcd, etcdctl, kube-apiserver, kube-controller-manager, kubemark missing/);
    assert.equal(findGo('', path.join(empty, 'no-go')), undefined);
  });

  it('takes seconds over parts already built', { skip: k8sPartsMissing() }, () => {
    const check = run(['--check']);
    assert.equal(check.status, 0, check.stderr);
    const again = run([]);
    assert.equal(again.status, 0, again.stderr);
    assert.ok(again.ms < 5000, `rerun took ${again.ms} ms`);
  });
});
