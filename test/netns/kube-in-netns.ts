/**
 * The Kubernetes API and etcd of a cluster whose parts run in network namespaces, asked from
 * inside a host's namespace (the test process cannot reach a namespace's 127.0.0.1): curl with
 * the client certificate of a kubeconfig, etcdctl with the etcd client certificate of k3s'
 * layout (`<data-dir>/server/tls/etcd/`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { partPath } from '../k8s-parts/bins.js';
import type { NetnsLab } from './harness.js';

export interface KubeAnswer {
  status: number;
  body: unknown;
}

export interface EtcdMember {
  name?: string;
  ID: string;
  isLearner?: boolean;
  clientURLs?: string[];
}

export interface KubeInNetns {
  /** A request with KUBECONFIG's credentials, from inside HOST's namespace. */
  request(host: string, kubeconfig: string, method: string, apiPath: string, body?: unknown): Promise<KubeAnswer>;
  /** `etcdctl member list` on HOST, whose k3s data dir is DATADIR. */
  etcdMembers(host: string, dataDir: string): Promise<EtcdMember[]>;
  /** Removes the certificate files written for curl. */
  cleanup(): void;
}

export function kubeInNetns(lab: NetnsLab): KubeInNetns {
  const dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-kube-'));
  let n = 0;
  const pem = (data: string | undefined, file: string | undefined): string => {
    if (file) return file;
    const f = path.join(dir, `pem-${n++}`);
    writeFileSync(f, Buffer.from(data ?? '', 'base64'), { mode: 0o600 });
    return f;
  };
  return {
    async request(host, kubeconfig, method, apiPath, body) {
      const kc = parse(readFileSync(kubeconfig, 'utf8')) as {
        clusters: { cluster: Record<string, string> }[];
        users: { user: Record<string, string> }[];
      };
      const cluster = kc.clusters[0]?.cluster ?? {};
      const user = kc.users[0]?.user ?? {};
      const args = [
        ...['-s', '--max-time', '10', '-X', method, '-w', '\n%{http_code}'],
        ...['--cacert', pem(cluster['certificate-authority-data'], cluster['certificate-authority'])],
        ...['--cert', pem(user['client-certificate-data'], user['client-certificate'])],
        ...['--key', pem(user['client-key-data'], user['client-key'])],
      ];
      if (body !== undefined) {
        const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
        args.push('-H', `content-type: ${type}`, '--data-binary', JSON.stringify(body));
      }
      const r = await lab.run(host, 'curl', [...args, `${cluster['server'] ?? ''}${apiPath}`]);
      const cut = r.stdout.lastIndexOf('\n');
      const text = r.stdout.slice(0, cut);
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: Number(r.stdout.slice(cut + 1)), body: parsed };
    },
    async etcdMembers(host, dataDir) {
      const tls = path.join(dataDir, 'server/tls/etcd');
      const r = await lab.run(host, partPath('etcdctl'), [
        ...['--endpoints=https://127.0.0.1:2379', `--cacert=${tls}/server-ca.crt`],
        ...[`--cert=${tls}/client.crt`, `--key=${tls}/client.key`, 'member', 'list', '-w', 'json'],
      ]);
      if (r.code !== 0) throw new Error(`etcdctl member list on ${host}: ${r.stderr.trim()}`);
      return (JSON.parse(r.stdout) as { members: EtcdMember[] }).members;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
