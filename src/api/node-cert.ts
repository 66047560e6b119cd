/**
 * The node's API certificate: an ECDSA P-256 key and an X.509 certificate for the node's
 * hostname, made once (at the first start) and kept in the data dir (`api-key.pem` 0600,
 * `api-cert.pem`). Self-signed, or issued by the fleet CA when the fleet config has one
 * (`api.ca`); a kept certificate is used again as long as it fits (same issuer wanted, not
 * about to expire). Its SHA-256 fingerprint goes into the signed advert, so every holder of the
 * fleet key can pin it (src/node/cert-pin.ts). Written as DER here and signed by node:crypto
 * (der.ts): the image has no openssl, and an X.509 library costs a second of CPU to load.
 */
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import net from 'node:net';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NucmeshError, errorMessage } from '../errors.js';
import { certFingerprint } from '../node/cert-pin.js';
import { bits, bool, children, explicit, ipBytes, NULL, octets, oid, seq, set, time, tlv, uint, utf8 } from './der.js';

export interface PemPair {
  cert: string;
  key: string;
}

export interface NodeCertificate extends PemPair {
  /** base64url SHA-256 of the certificate's DER bytes (43 characters). */
  fingerprint: string;
}

const DAY = 86_400_000;
/** Long-lived: a NUC may sit years in a cupboard; the pin, not the dates, is what peers check. */
const VALID_DAYS = 3650;
/** A kept certificate closer than this to its end is made anew. */
const RENEW_BEFORE_DAYS = 30;

export const CERT_FILE = 'api-cert.pem';
export const KEY_FILE = 'api-key.pem';

const OID = {
  commonName: '2.5.4.3',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

function nameOf(cn: string): Buffer {
  return seq(set(seq(oid(OID.commonName), utf8(cn))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

/** The signature algorithm a CA (or our own) key signs with. */
function signatureAlgorithm(key: KeyObject): { der: Buffer; dsaEncoding?: 'der' } {
  if (key.asymmetricKeyType === 'ec') return { der: seq(oid(OID.ecdsaWithSha256)), dsaEncoding: 'der' };
  if (key.asymmetricKeyType === 'rsa') return { der: seq(oid(OID.sha256WithRsa), NULL) };
  throw new NucmeshError(
    'E_NODE_CERT',
    `a ${key.asymmetricKeyType ?? 'unknown'} key cannot sign the API certificate (EC or RSA)`,
  );
}

/** The subject Name of a certificate, as DER (the issuer field of what it signs). */
function subjectDer(certPem: string): Buffer {
  const tbs = children(new X509Certificate(certPem).raw)[0] ?? Buffer.alloc(0);
  const fields = children(tbs);
  const offset = (fields[0]?.[0] ?? 0) === 0xa0 ? 1 : 0; // [0] version present
  const subject = fields[offset + 4];
  if (!subject) throw new NucmeshError('E_NODE_CERT', 'the fleet CA certificate (api.ca.cert) cannot be read');
  return subject;
}

function readCaKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    throw new NucmeshError('E_NODE_CERT', `the fleet CA key (api.ca.key) cannot be read: ${errorMessage(e)}`, {
      cause: e,
    });
  }
}

/**
 * A new certificate for `hostname` (and `altNames`), with `keyPem` or a new key; signed by `ca`
 * when given, else by itself. Written as DER here (node:crypto signs): no X.509 library, a few ms.
 */
export async function makeNodeCertificate(o: {
  hostname: string;
  altNames?: readonly string[];
  keyPem?: string;
  ca?: PemPair;
  now?: Date;
}): Promise<NodeCertificate> {
  const now = o.now ?? new Date();
  const key =
    o.keyPem ??
    (generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  const privateKey = createPrivateKey(key);
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const names = [...new Set([o.hostname, 'localhost', '127.0.0.1', '::1', ...(o.altNames ?? [])])];
  const san = seq(...names.map((n) => (net.isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, 'ascii')))));
  const cn = o.hostname.replace(/[^A-Za-z0-9.-]/g, '-');
  const signer = o.ca ? readCaKey(o.ca.key) : privateKey;
  const alg = signatureAlgorithm(signer);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = seq(
    explicit(0, uint(Buffer.from([2]))),
    uint(serial),
    alg.der,
    o.ca ? subjectDer(o.ca.cert) : nameOf(cn),
    seq(time(new Date(now.getTime() - DAY)), time(new Date(now.getTime() + VALID_DAYS * DAY))),
    nameOf(cn),
    spki,
    explicit(
      3,
      seq(
        extension(OID.basicConstraints, true, seq()),
        extension(OID.keyUsage, true, bits(Buffer.from([0x80]), 7)), // digitalSignature
        extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
        extension(OID.subjectAltName, false, san),
      ),
    ),
  );
  const signature = sign('sha256', tbs, alg.dsaEncoding ? { key: signer, dsaEncoding: 'der' } : signer);
  const der = seq(tbs, alg.der, bits(signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  return { cert: certPem, key, fingerprint: certFingerprint(certPem) };
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
