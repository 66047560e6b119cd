/**
 * The certificates of a k3s server beyond the server and client CAs, at k3s' paths under server/tls/
 * (pkg/daemons/control/deps/deps.go genCerts, genETCDCerts, genServiceAccount, genRequestHeaderCerts):
 * - cluster-wide, made by the first server and handed to joiners in the bootstrap data:
 *   etcd/server-ca.crt|key, etcd/peer-ca.crt|key, request-header-ca.crt|key, service.key (RSA 2048);
 * - per server, made at every start: etcd/server-client.crt|key (etcd's serving and client certificate),
 *   etcd/peer-server-client.crt|key (peer), etcd/client.crt|key (the apiserver's etcd client, CN
 *   etcd-client), serving-kube-apiserver.crt|key, client-kube-apiserver.crt|key (the apiserver towards
 *   kubelets, system:apiserver in system:masters), client-auth-proxy.crt|key (signed by the request-header
 *   CA, CN system:auth-proxy: the front-proxy identity the supervisor forwards requests with),
 *   client-controller.crt|key (system:kube-controller-manager), client-admin.crt|key.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { write } from './files.js';
import { issue, makeCa, type KeyPair } from './pki.js';

/** The cluster-wide files a joining server gets from the server it joins (bootstrap data). */
export const REAL_TLS_FILES = [
  'etcd/server-ca.crt',
  'etcd/server-ca.key',
  'etcd/peer-ca.crt',
  'etcd/peer-ca.key',
  'request-header-ca.crt',
  'request-header-ca.key',
  'service.key',
] as const;

/** The CN of the front-proxy client certificate (deps.go requestHeaderCN), allowed by the apiserver. */
export const AUTH_PROXY_CN = 'system:auth-proxy';

function writePair(tls: string, name: string, kp: KeyPair): void {
  write(path.join(tls, `${name}.crt`), kp.cert);
  write(path.join(tls, `${name}.key`), kp.key);
}

function readPair(tls: string, name: string): KeyPair {
  return {
    cert: readFileSync(path.join(tls, `${name}.crt`), 'utf8'),
    key: readFileSync(path.join(tls, `${name}.key`), 'utf8'),
  };
}

/** The first server's cluster-wide CAs and service-account key, unless already there. */
export function ensureClusterCas(tls: string): void {
  const now = Math.floor(Date.now() / 1000);
  for (const [name, cn] of [
    ['etcd/server-ca', `etcd-server-ca@${now}`],
    ['etcd/peer-ca', `etcd-peer-ca@${now}`],
    ['request-header-ca', `k3s-request-header-ca@${now}`],
  ] as const)
    if (!existsSync(path.join(tls, `${name}.crt`))) writePair(tls, name, makeCa(cn));
  const serviceKey = path.join(tls, 'service.key');
  if (!existsSync(serviceKey)) {
    const pem = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString('utf8');
    write(serviceKey, pem);
  }
}

export interface ServerCerts {
  etcdCa: string;
  etcdClient: KeyPair;
  authProxy: KeyPair;
}

/** This server's leaf certificates (written at k3s' paths), from the CAs in TLS. */
export function issueServerCerts(
  tls: string,
  o: { serverCa: KeyPair; clientCa: KeyPair; serving: KeyPair; admin: KeyPair; sans: string[] },
): ServerCerts {
  const etcdServerCa = readPair(tls, 'etcd/server-ca');
  const etcdPeerCa = readPair(tls, 'etcd/peer-ca');
  const requestHeaderCa = readPair(tls, 'request-header-ca');
  const etcdSans = o.sans;
  writePair(
    tls,
    'etcd/server-client',
    issue(etcdServerCa, { commonName: 'etcd-server', sans: etcdSans, serverAndClient: true }),
  );
  writePair(
    tls,
    'etcd/peer-server-client',
    issue(etcdPeerCa, { commonName: 'etcd-peer', sans: etcdSans, serverAndClient: true }),
  );
  const etcdClient = issue(etcdServerCa, { commonName: 'etcd-client', client: true });
  writePair(tls, 'etcd/client', etcdClient);
  writePair(tls, 'serving-kube-apiserver', o.serving);
  writePair(
    tls,
    'client-kube-apiserver',
    issue(o.clientCa, { commonName: 'system:apiserver', organization: 'system:masters', client: true }),
  );
  const authProxy = issue(requestHeaderCa, { commonName: AUTH_PROXY_CN, client: true });
  writePair(tls, 'client-auth-proxy', authProxy);
  writePair(
    tls,
    'client-controller',
    issue(o.clientCa, { commonName: 'system:kube-controller-manager', client: true }),
  );
  writePair(tls, 'client-admin', o.admin);
  return { etcdCa: etcdServerCa.cert, etcdClient, authProxy };
}
