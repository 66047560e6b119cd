import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CERT_FILE, KEY_FILE, ensureNodeCertificate, makeNodeCertificate } from '../../../src/api/node-cert.js';
import { CERT_PIN, certFingerprint } from '../../../src/node/cert-pin.js';

test('the node certificate is made once, kept 0600 in the data dir, and its pin is its SHA-256', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-cert-'));
  try {
    const first = await ensureNodeCertificate(dir, { hostname: 'nuc-1' });
    assert.equal(first.made, true);
    assert.match(first.fingerprint, CERT_PIN);
    for (const f of [CERT_FILE, KEY_FILE]) assert.equal(statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
    assert.equal(certFingerprint(readFileSync(path.join(dir, CERT_FILE), 'utf8')), first.fingerprint);
    const x = new X509Certificate(first.cert);
    assert.ok(x.checkHost('nuc-1'));
    assert.ok(x.checkIP('127.0.0.1'));
    assert.ok(x.verify(x.publicKey), 'self-signed');
    const again = await ensureNodeCertificate(dir, { hostname: 'nuc-1' });
    assert.equal(again.made, false);
    assert.equal(again.fingerprint, first.fingerprint, 'the same certificate after a restart');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with a fleet CA the certificate is issued by it (same key), and made anew when the CA comes', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-cert-ca-'));
  try {
    const ca = await makeNodeCertificate({ hostname: 'fleet-ca' });
    const self = await ensureNodeCertificate(dir, { hostname: 'nuc-1' });
    const issued = await ensureNodeCertificate(dir, { hostname: 'nuc-1', ca });
    assert.equal(issued.made, true);
    assert.notEqual(issued.fingerprint, self.fingerprint);
    assert.equal(issued.key, self.key, 'the key is kept');
    const x = new X509Certificate(issued.cert);
    const caX = new X509Certificate(ca.cert);
    assert.ok(x.issuer === caX.subject && x.verify(caX.publicKey), 'signed by the CA');
    assert.equal((await ensureNodeCertificate(dir, { hostname: 'nuc-1', ca })).made, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a certificate near its end is made anew', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-cert-old-'));
  try {
    const first = await ensureNodeCertificate(dir, {
      hostname: 'nuc-1',
      now: new Date(Date.now() - 3640 * 86_400_000),
    });
    const later = await ensureNodeCertificate(dir, { hostname: 'nuc-1' });
    assert.equal(later.made, true);
    assert.notEqual(later.fingerprint, first.fingerprint);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
