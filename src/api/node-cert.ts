/**
 * The node's API certificate: an ECDSA P-256 key and an X.509 certificate for the node's
 * hostname, made once (at the first start) and kept in the data dir (`api-key.pem` 0600,
 * `api-cert.pem`). Self-signed, or issued by the fleet CA when the fleet config has one
 * (`api.ca`); a kept certificate is used again as long as it fits (same issuer wanted, not
 * about to expire). Its SHA-256 fingerprint goes into the signed advert, so every holder of the
 * fleet key can pin it (src/node/cert-pin.ts). Made in JavaScript (@peculiar/x509 on Node's
 * WebCrypto): the image has no openssl.
 */
import { webcrypto, X509Certificate, createPrivateKey } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NucmeshError, errorMessage } from '../errors.js';
import { certFingerprint } from '../node/cert-pin.js';

/** @peculiar/x509, loaded only when a certificate is made (once per node): its code stays out of RSS otherwise. */
async function x509Lib(): Promise<typeof import('@peculiar/x509')> {
  await import('reflect-metadata'); // tsyringe, inside @peculiar/x509, needs it loaded first
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as never);
  return x509;
}

type CryptoKey = webcrypto.CryptoKey;

export interface PemPair {
  cert: string;
  key: string;
}

export interface NodeCertificate extends PemPair {
  /** base64url SHA-256 of the certificate's DER bytes (43 characters). */
  fingerprint: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 86_400_000;
/** Long-lived: a NUC may sit years in a cupboard; the pin, not the dates, is what peers check. */
const VALID_DAYS = 3650;
/** A kept certificate closer than this to its end is made anew. */
const RENEW_BEFORE_DAYS = 30;

export const CERT_FILE = 'api-cert.pem';
export const KEY_FILE = 'api-key.pem';

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}

async function importEcPrivateKey(keyPem: string, usages: webcrypto.KeyUsage[]): Promise<CryptoKey> {
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, EC, true, usages) as Promise<CryptoKey>;
}

async function publicOf(keyPem: string): Promise<CryptoKey> {
  const jwk = createPrivateKey(keyPem).export({ format: 'jwk' });
  delete jwk.d;
  return webcrypto.subtle.importKey('jwk', jwk, EC, true, ['verify']) as Promise<CryptoKey>;
}

function isIp(name: string): boolean {
  return /^[0-9.]+$/.test(name) || name.includes(':');
}

/**
 * A new certificate for `hostname` (and `altNames`), with `keyPem` or a new key; signed by `ca`
 * when given, else by itself.
 */
export async function makeNodeCertificate(o: {
  hostname: string;
  altNames?: readonly string[];
  keyPem?: string;
  ca?: PemPair;
  now?: Date;
}): Promise<NodeCertificate> {
  const x509 = await x509Lib();
  const now = o.now ?? new Date();
  let key = o.keyPem;
  if (key === undefined) {
    const pair = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    key = pem('PRIVATE KEY', (await webcrypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
  }
  const names = [...new Set([o.hostname, 'localhost', '127.0.0.1', '::1', ...(o.altNames ?? [])])];
  const publicKey = (await publicOf(key)) as never;
  const common = {
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    subject: `CN=${o.hostname.replace(/[^A-Za-z0-9.-]/g, '-')}`,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + VALID_DAYS * DAY),
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIp(n) ? 'ip' : 'dns', value: n }))),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  };
  let cert: InstanceType<typeof x509.X509Certificate>;
  if (o.ca) {
    const caCert = new x509.X509Certificate(o.ca.cert);
    cert = await x509.X509CertificateGenerator.create({
      ...common,
      issuer: caCert.subject,
      publicKey,
      signingKey: (await importEcOrFail(o.ca.key)) as never,
    });
  } else {
    cert = await x509.X509CertificateGenerator.create({
      ...common,
      issuer: common.subject,
      publicKey,
      signingKey: (await importEcPrivateKey(key, ['sign'])) as never,
    });
  }
  const certPem = cert.toString('pem') + '\n';
  return { cert: certPem, key, fingerprint: certFingerprint(certPem) };
}

async function importEcOrFail(keyPem: string): Promise<CryptoKey> {
  try {
    return await importEcPrivateKey(keyPem, ['sign']);
  } catch (e) {
    throw new NucmeshError(
      'E_NODE_CERT',
      `the fleet CA key (api.ca.key) is not an ECDSA P-256 key: ${errorMessage(e)}`,
      {
        cause: e,
      },
    );
  }
}

/** Does the kept certificate fit: right issuer (the CA, or itself), not near its end? */
export function certificateFits(certPem: string, o: { ca?: PemPair; now?: Date }): boolean {
  const cert = new X509Certificate(certPem);
  const now = (o.now ?? new Date()).getTime();
  // Names are not checked: peers trust the pin, and the hostname is only known after the identity step.
  if (new Date(cert.validTo).getTime() - now < RENEW_BEFORE_DAYS * DAY) return false;
  const issuer = o.ca ? new X509Certificate(o.ca.cert) : cert;
  // The issuer's name and signature (not checkIssued: it also wants CA key usages of the issuer).
  return cert.issuer === issuer.subject && cert.verify(issuer.publicKey);
}

/**
 * The node certificate kept in `dataDir`, made (or made anew, keeping the key) when missing or
 * when it does not fit any more. Key and certificate are written 0600, atomically.
 */
export async function ensureNodeCertificate(
  dataDir: string,
  o: { hostname: string; ca?: PemPair; now?: Date },
): Promise<NodeCertificate & { made: boolean }> {
  const certPath = path.join(dataDir, CERT_FILE);
  const keyPath = path.join(dataDir, KEY_FILE);
  const read = (p: string) => fs.readFile(p, 'utf8').catch(() => undefined);
  const [certPem, keyPem] = await Promise.all([read(certPath), read(keyPath)]);
  let keyOk = keyPem !== undefined;
  try {
    if (keyPem !== undefined) createPrivateKey(keyPem);
  } catch {
    keyOk = false;
  }
  if (certPem !== undefined && keyOk) {
    try {
      const x = new X509Certificate(certPem);
      if (x.checkPrivateKey(createPrivateKey(keyPem as string)) && certificateFits(certPem, o))
        return { cert: certPem, key: keyPem as string, fingerprint: certFingerprint(certPem), made: false };
    } catch {
      // Unreadable: made anew below.
    }
  }
  const made = await makeNodeCertificate({ ...o, ...(keyOk ? { keyPem: keyPem as string } : {}) });
  try {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writePrivate(keyPath, made.key);
    await writePrivate(certPath, made.cert);
  } catch (e) {
    throw new NucmeshError('E_NODE_CERT', `cannot write the API certificate in ${dataDir}: ${errorMessage(e)}`, {
      data: { dataDir },
      cause: e,
    });
  }
  return { ...made, made: true };
}

async function writePrivate(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o600 });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
}
