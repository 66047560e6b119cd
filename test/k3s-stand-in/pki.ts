/**
 * The certificates a k3s server makes on first start (pkg/daemons/control/deps/deps.go genCerts):
 * ECDSA P-256 keys, a self-signed server CA (`k3s-server-ca@<unix time>`) and client CA
 * (`k3s-client-ca@<unix time>`), serving certificates signed by the server CA with the node's SANs,
 * client certificates signed by the client CA. Made with the openssl command (Debian's openssl package).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';

export interface KeyPair {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function inTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'k3s-stand-in-pki-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function makeCa(commonName: string): KeyPair {
  return inTemp((dir) => {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], dir);
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'ca.key',
        '-sha256',
        '-days',
        '3650',
        '-subj',
        `/CN=${commonName}`,
        '-out',
        'ca.crt',
      ].concat([
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
      ]),
      dir,
    );
    return {
      cert: readFileSync(path.join(dir, 'ca.crt'), 'utf8'),
      key: readFileSync(path.join(dir, 'ca.key'), 'utf8'),
    };
  });
}

export interface IssueOptions {
  commonName: string;
  organization?: string;
  /** Serving certificate: DNS names and IP addresses. */
  sans?: string[];
  client?: boolean;
  /** Both serverAuth and clientAuth (etcd's server-client and peer-server-client certificates). */
  serverAndClient?: boolean;
}

export function issue(ca: KeyPair, o: IssueOptions): KeyPair {
  return inTemp((dir) => {
    writeFileSync(path.join(dir, 'ca.crt'), ca.cert);
    writeFileSync(path.join(dir, 'ca.key'), ca.key, { mode: 0o600 });
    const subj = `/CN=${o.commonName}${o.organization ? `/O=${o.organization}` : ''}`;
    const ext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
    const usage = o.serverAndClient ? 'serverAuth,clientAuth' : o.client ? 'clientAuth' : 'serverAuth';
    ext.push(`extendedKeyUsage=${usage}`);
    if (o.sans && o.sans.length > 0)
      ext.push(`subjectAltName=${[...new Set(o.sans)].map((s) => (isIP(s) ? `IP:${s}` : `DNS:${s}`)).join(',')}`);
    writeFileSync(path.join(dir, 'ext.cnf'), ext.join('\n') + '\n');
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key'], dir);
    openssl(['req', '-new', '-key', 'leaf.key', '-subj', subj, '-out', 'leaf.csr'], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        'leaf.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '365',
      ].concat(['-sha256', '-extfile', 'ext.cnf', '-out', 'leaf.crt']),
      dir,
    );
    return {
      cert: readFileSync(path.join(dir, 'leaf.crt'), 'utf8'),
      key: readFileSync(path.join(dir, 'leaf.key'), 'utf8'),
    };
  });
}
