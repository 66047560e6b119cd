/**
 * A minimal Kubernetes control-plane PKI on disk, made with the openssl command (node:crypto
 * cannot sign X.509 certificates): one CA (ECDSA P-256) that signs the apiserver's serving
 * certificate and every client certificate, and the service-account signing key pair.
 * Client identities follow Kubernetes' conventions: CN is the user, O the groups.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface ClientIdentity {
  /** The user name (certificate CN). */
  user: string;
  /** The groups (certificate O, one each). */
  groups?: readonly string[];
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(dir: string, name: string): string {
  const file = path.join(dir, `${name}.key`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], dir);
  chmodSync(file, 0o600);
  return file;
}

/** A self-signed CA in DIR/NAME.crt and DIR/NAME.key. */
export function makeCa(dir: string, name: string, commonName: string): CertFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = newKey(dir, name);
  const cert = path.join(dir, `${name}.crt`);
  openssl(
    ['req', '-x509', '-new', '-key', key, '-sha256', '-days', '3650', '-subj', `/CN=${commonName}`, '-out', cert]
      .concat(['-addext', 'basicConstraints=critical,CA:TRUE'])
      .concat(['-addext', 'keyUsage=critical,digitalSignature,keyCertSign']),
    dir,
  );
  return { cert, key };
}

/** The openssl -subj of an identity: CN, then one O per group (slashes are not allowed in names). */
export function subjectOf(commonName: string, groups: readonly string[] = []): string {
  for (const part of [commonName, ...groups])
    if (part.includes('/') || part === '') throw new Error(`not a certificate name part: ${JSON.stringify(part)}`);
  return `/CN=${commonName}${groups.map((g) => `/O=${g}`).join('')}`;
}

/** The extension lines of a leaf certificate: serving (with SANs) or client. */
export function leafExtensions(kind: 'serving' | 'client', sans: string[] = []): string[] {
  const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
  lines.push(`extendedKeyUsage=${kind === 'serving' ? 'serverAuth' : 'clientAuth'}`);
  const unique = [...new Set(sans)];
  if (unique.length > 0)
    lines.push(`subjectAltName=${unique.map((s) => (isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(',')}`);
  return lines;
}

function issue(ca: CertFiles, dir: string, name: string, subject: string, extensions: string[]): CertFiles {
  const key = newKey(dir, name);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  const cert = path.join(dir, `${name}.crt`);
  writeFileSync(ext, extensions.join('\n') + '\n');
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr], dir);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${serial()}`].concat([
      '-days',
      '365',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      cert,
    ]),
    dir,
  );
  return { cert, key };
}

let serialCounter = 0;
function serial(): string {
  serialCounter += 1;
  return `${Date.now().toString(16)}${process.pid.toString(16)}${serialCounter.toString(16).padStart(4, '0')}`;
}

export function issueServing(ca: CertFiles, dir: string, name: string, commonName: string, sans: string[]): CertFiles {
  return issue(ca, dir, name, subjectOf(commonName), leafExtensions('serving', sans));
}

export function issueClient(ca: CertFiles, dir: string, name: string, who: ClientIdentity): CertFiles {
  return issue(ca, dir, name, subjectOf(who.user, who.groups), leafExtensions('client'));
}

/** The service-account token signing key (ECDSA P-256, ES256) and its public half. */
export function makeServiceAccountKeys(dir: string): { privateKey: string; publicKey: string } {
  const privateKey = newKey(dir, 'service-account');
  const publicKey = path.join(dir, 'service-account.pub');
  openssl(['pkey', '-in', privateKey, '-pubout', '-out', publicKey], dir);
  return { privateKey, publicKey };
}

export interface ControlPlanePki {
  dir: string;
  ca: CertFiles;
  apiserverServing: CertFiles;
  serviceAccount: { privateKey: string; publicKey: string };
  /** system:masters: everything allowed. */
  admin: CertFiles;
  /** system:kube-controller-manager (the bootstrap RBAC role of that name). */
  controllerManager: CertFiles;
  /** The apiserver's client certificate towards kubelets. */
  apiserverKubeletClient: CertFiles;
}

/** Bootstrap RBAC identities the parts authenticate as. */
export const identities = {
  admin: { user: 'nucmesh-admin', groups: ['system:masters'] },
  controllerManager: { user: 'system:kube-controller-manager' },
  apiserverKubeletClient: { user: 'kube-apiserver-kubelet-client', groups: ['system:masters'] },
  node: (nodeName: string): ClientIdentity => ({ user: `system:node:${nodeName}`, groups: ['system:nodes'] }),
} as const;

/**
 * Everything a control plane on `hosts` (IPs and names the apiserver is reached at; loopback
 * and the first service IP are always added) needs, in DIR (made 0700; keys are 0600).
 */
export function makeControlPlanePki(dir: string, hosts: string[] = [], serviceIp = '10.43.0.1'): ControlPlanePki {
  const ca = makeCa(dir, 'ca', `nucmesh-test-ca@${Math.floor(Date.now() / 1000)}`);
  const sans = ['127.0.0.1', 'localhost', serviceIp, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc']
    .concat(['kubernetes.default.svc.cluster.local'])
    .concat(hosts);
  return {
    dir,
    ca,
    apiserverServing: issueServing(ca, dir, 'apiserver', 'kube-apiserver', sans),
    serviceAccount: makeServiceAccountKeys(dir),
    admin: issueClient(ca, dir, 'admin', identities.admin),
    controllerManager: issueClient(ca, dir, 'controller-manager', identities.controllerManager),
    apiserverKubeletClient: issueClient(ca, dir, 'apiserver-kubelet-client', identities.apiserverKubeletClient),
  };
}

/** A client certificate for the kubelet of NODE (Node authorizer, NodeRestriction). */
export function issueNodeClient(pki: ControlPlanePki, nodeName: string): CertFiles {
  return issueClient(pki.ca, pki.dir, `node-${nodeName}`, identities.node(nodeName));
}
