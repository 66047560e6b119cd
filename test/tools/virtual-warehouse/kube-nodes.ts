/**
 * Run inside a server's namespace (`ip netns exec NS node kube-nodes.js KUBECONFIG`): prints the
 * cluster's Node list, `GET /api/v1/nodes` with the admin kubeconfig k3s wrote (its server is
 * https://127.0.0.1:6443, the namespace's own loopback), as one JSON line; on failure a JSON line
 * `{"error": …}` and exit 1. Plain node:https: the placeholder stand-in and a real kube-apiserver
 * answer the same path.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: Record<string, string> }[];
  users?: { name: string; user: Record<string, string> }[];
}

export interface KubeAccess {
  server: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** A field given inline (`<name>-data`, base64) or as a file (`<name>`). */
function material(entry: Record<string, string>, name: string, where: string): Buffer {
  const inline = entry[`${name}-data`];
  if (inline !== undefined) return Buffer.from(inline, 'base64');
  const file = entry[name];
  if (file === undefined) throw new Error(`the kubeconfig's ${where} has neither ${name}-data nor ${name}`);
  return readFileSync(file);
}

/** The server and credentials of a kubeconfig's current context. */
export function kubeAccessOf(text: string): KubeAccess {
  const kc = parse(text) as Kubeconfig;
  const context = kc.contexts?.find((c) => c.name === kc['current-context'])?.context;
  const cluster = kc.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = kc.users?.find((u) => u.name === context?.user)?.user;
  if (!cluster?.['server'] || !user) throw new Error('the kubeconfig has no current context with a cluster and user');
  return {
    server: cluster['server'],
    ca: material(cluster, 'certificate-authority', 'cluster'),
    cert: material(user, 'client-certificate', 'user'),
    key: material(user, 'client-key', 'user'),
  };
}

export function getJson(access: KubeAccess, apiPath: string, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(apiPath, access.server), {
      ca: access.ca,
      cert: access.cert,
      key: access.key,
      timeout: timeoutMs,
      headers: { accept: 'application/json' },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`GET ${apiPath}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${apiPath}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function main(file: string): Promise<void> {
  try {
    const list = (await getJson(kubeAccessOf(readFileSync(file, 'utf8')), '/api/v1/nodes')) as { items?: unknown[] };
    process.stdout.write(JSON.stringify({ items: list.items ?? [] }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }) + '\n');
    process.exitCode = 1;
  }
}

const file = process.argv[2];
if (file !== undefined && process.argv[1]?.endsWith('kube-nodes.js')) void main(file);
