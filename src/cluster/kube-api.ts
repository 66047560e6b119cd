/**
 * A small Kubernetes REST client for the cluster's life after formation (membership reads every
 * few seconds, the replacement Lease, cordon, evictions, Node deletion), over node:https with the
 * node's own kubeconfig (client certificate, CA): the admin one on servers, the kubelet's on
 * agents. @kubernetes/client-node stays for the one-off Ready wait and labels, in a worker
 * (k3s-kube-check.ts): loaded in the agent for good it costs ~73 MB of RSS, which a NUC shared
 * with workloads should not pay for a loop that needs five verbs.
 */
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { parse } from 'yaml';
import { NucmeshError, errorMessage } from '../errors.js';

export type KubeMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeApi {
  /** The answer's JSON; undefined for 404. E_KUBE_API for any other non-2xx or a transport error. */
  get<T>(path: string): Promise<T | undefined>;
  /** A write; `patch` bodies go as merge patches. Answers 404 with undefined as `get` does. */
  send<T>(method: Exclude<KubeMethod, 'GET'>, path: string, body?: unknown): Promise<T | undefined>;
  /** The identity the kubeconfig names (its user), for logs. */
  readonly user: string;
}

export interface KubeCredentials {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  user: string;
}

interface KubeconfigDoc {
  'current-context'?: string;
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name?: string; cluster?: Record<string, string> }[];
  users?: { name?: string; user?: Record<string, string> }[];
}

/** The server and the credentials of a kubeconfig's current context (inline data or file paths). */
export async function readKubeconfig(file: string): Promise<KubeCredentials> {
  const doc = parse(await readFile(file, 'utf8')) as KubeconfigDoc | null;
  const context = doc?.contexts?.find((c) => c.name === doc['current-context']) ?? doc?.contexts?.[0];
  const cluster =
    doc?.clusters?.find((c) => c.name === context?.context?.cluster)?.cluster ?? doc?.clusters?.[0]?.cluster;
  const userName = context?.context?.user ?? doc?.users?.[0]?.name ?? '';
  const user = doc?.users?.find((u) => u.name === userName)?.user ?? doc?.users?.[0]?.user ?? {};
  if (!cluster?.['server'])
    throw new NucmeshError('E_KUBE_API', `${file} names no cluster server`, { data: { kubeconfig: file } });
  const pem = async (dataKey: string, fileKey: string): Promise<string | undefined> => {
    const data = cluster[dataKey] ?? user[dataKey];
    if (data) return Buffer.from(data, 'base64').toString('utf8');
    const path = cluster[fileKey] ?? user[fileKey];
    return path ? readFile(path, 'utf8') : undefined;
  };
  const [ca, cert, key] = await Promise.all([
    pem('certificate-authority-data', 'certificate-authority'),
    pem('client-certificate-data', 'client-certificate'),
    pem('client-key-data', 'client-key'),
  ]);
  return {
    server: cluster['server'].replace(/\/+$/, ''),
    user: userName,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
  };
}

export interface KubeApiOptions {
  timeoutMs?: number;
  /** Largest answer read (a Node list of a big fleet is well below). */
  maxBytes?: number;
}

export function kubeApi(creds: KubeCredentials, o: KubeApiOptions = {}): KubeApi {
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 2,
    ...(creds.ca ? { ca: creds.ca } : {}),
    ...(creds.cert ? { cert: creds.cert } : {}),
    ...(creds.key ? { key: creds.key } : {}),
  });
  const timeoutMs = o.timeoutMs ?? 10_000;
  const maxBytes = o.maxBytes ?? 32 * 1024 * 1024;
  function call<T>(method: KubeMethod, path: string, body?: unknown): Promise<T | undefined> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    return new Promise((resolve, reject) => {
      const fail = (message: string, status?: number, cause?: unknown): void =>
        reject(
          new NucmeshError('E_KUBE_API', `${method} ${path}: ${message}`, {
            data: { method, path, ...(status === undefined ? {} : { status }) },
            ...(cause === undefined ? {} : { cause }),
          }),
        );
      const req = https.request(`${creds.server}${path}`, {
        method,
        agent,
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          ...(text === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(text) }),
        },
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', (e) => fail(errorMessage(e), undefined, e));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > maxBytes) req.destroy(new Error(`answer larger than ${maxBytes} bytes`));
          else chunks.push(d);
        });
        res.on('error', (e) => fail(errorMessage(e), undefined, e));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const raw = Buffer.concat(chunks).toString('utf8');
          if (status === 404) return resolve(undefined);
          let parsed: unknown;
          try {
            parsed = raw === '' ? undefined : JSON.parse(raw);
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300) return resolve(parsed as T);
          const message = (parsed as { message?: string } | undefined)?.message ?? raw.slice(0, 200);
          fail(`${status} ${message}`, status);
        });
      });
      req.end(text);
    });
  }
  return {
    user: creds.user,
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  };
}

/** The HTTP status of an E_KUBE_API error (undefined for a transport error or another error). */
export function kubeStatusOf(err: unknown): number | undefined {
  const data = (err as { code?: string; data?: { status?: unknown } }) ?? {};
  return data.code === 'E_KUBE_API' && typeof data.data?.status === 'number' ? data.data.status : undefined;
}

/** A client for the kubeconfig, read again when the file changes (k3s rewrites it on restart). */
export function kubeApiFromFile(file: string, o: KubeApiOptions = {}): () => Promise<KubeApi> {
  let cached: { text: string; api: KubeApi } | undefined;
  return async () => {
    const text = await readFile(file, 'utf8').catch((e: unknown) => {
      throw new NucmeshError('E_KUBE_API', `no kubeconfig at ${file}`, { data: { kubeconfig: file }, cause: e });
    });
    if (cached?.text !== text) cached = { text, api: kubeApi(await readKubeconfig(file), o) };
    return cached.api;
  };
}
