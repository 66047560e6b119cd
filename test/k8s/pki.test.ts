/**
 * The control-plane PKI the real parts run with (openssl only, no Kubernetes binaries needed):
 * every certificate chains to the CA, serving and client usages are apart, identities carry the
 * user as CN and groups as O, keys are 0600.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeControlPlanePki, issueNodeClient, subjectOf, type ControlPlanePki } from '../k8s-parts/pki.js';

function x509(cert: string, ...args: string[]): string {
  return execFileSync('openssl', ['x509', '-in', cert, '-noout', ...args], { encoding: 'utf8' });
}

describe('control-plane PKI', () => {
  let dir: string;
  let pki: ControlPlanePki;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-pki-test-'));
    pki = makeControlPlanePki(path.join(dir, 'pki'), ['10.1.2.3', 'seed.local']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('signs every certificate with the CA', () => {
    const node = issueNodeClient(pki, 'nuc-1');
    for (const leaf of [pki.apiserverServing, pki.admin, pki.controllerManager, pki.apiserverKubeletClient, node]) {
      const out = execFileSync('openssl', ['verify', '-CAfile', pki.ca.cert, leaf.cert], { encoding: 'utf8' });
      assert.match(out, /: OK$/m, leaf.cert);
    }
  });

  it('serves for loopback, the service IP, the kubernetes names and the hosts given', () => {
    const sans = x509(pki.apiserverServing.cert, '-ext', 'subjectAltName');
    for (const want of ['IP Address:127.0.0.1', 'IP Address:10.43.0.1', 'IP Address:10.1.2.3', 'DNS:seed.local'])
      assert.ok(sans.includes(want), `${want} in ${sans}`);
    assert.ok(sans.includes('DNS:kubernetes.default.svc.cluster.local'));
    assert.match(x509(pki.apiserverServing.cert, '-ext', 'extendedKeyUsage'), /TLS Web Server Authentication/);
  });

  it('names client identities by CN (user) and O (groups), for client use only', () => {
    const subject = x509(issueNodeClient(pki, 'nuc-2').cert, '-subject', '-nameopt', 'RFC2253');
    assert.match(subject, /CN=system:node:nuc-2/);
    assert.match(subject, /O=system:nodes/);
    assert.match(x509(pki.admin.cert, '-subject', '-nameopt', 'RFC2253'), /O=system:masters/);
    const usage = x509(pki.controllerManager.cert, '-ext', 'extendedKeyUsage');
    assert.match(usage, /TLS Web Client Authentication/);
    assert.doesNotMatch(usage, /Server Authentication/);
  });

  it('keeps private keys 0600 in a 0700 folder', () => {
    for (const key of [pki.ca.key, pki.admin.key, pki.serviceAccount.privateKey])
      assert.equal(statSync(key).mode & 0o777, 0o600, key);
    assert.equal(statSync(pki.dir).mode & 0o777, 0o700);
  });

  it('refuses name parts openssl would split', () => {
    assert.equal(subjectOf('system:node:a', ['system:nodes']), '/CN=system:node:a/O=system:nodes');
    assert.throws(() => subjectOf('a/O=system:masters'));
    assert.throws(() => subjectOf('x', ['']));
  });
});
