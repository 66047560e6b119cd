/**
 * A tiny Kubernetes API client over HTTPS with a client certificate (no kubectl, no client
 * library): enough for tests to read objects and wait for conditions.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { ApiEndpoint } from './kubeconfig.js';
import type { CertFiles } from './pki.js';

export interface ApiClient {
  endpoint: ApiEndpoint;
  /** JSON body (or the text, when not JSON) and status of one request. */
  call: (method: string, apiPath: string, body?: unknown) => Promise<ApiAnswer>;
  /** GET; the parsed object, or undefined on 404. Throws on other non-2xx answers. */
  get: <T = Record<string, unknown>>(apiPath: string) => Promise<T | undefined>;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export function apiClient(endpoint: ApiEndpoint, client: CertFiles, timeoutMs = 10_000): ApiClient {
  const tls = { ca: readFileSync(endpoint.caFile), cert: readFileSync(client.cert), key: readFileSync(client.key) };
  const call = (method: string, apiPath: string, body?: unknown): Promise<ApiAnswer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(apiPath, endpoint.server),
        {
          method,
          ...tls,
          timeout: timeoutMs,
          headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON (e.g. /readyz answers "ok")
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  return {
    endpoint,
    call,
    get: async <T>(apiPath: string): Promise<T | undefined> => {
      const answer = await call('GET', apiPath);
      if (answer.status === 404) return undefined;
      if (answer.status < 200 || answer.status > 299)
        throw new Error(`GET ${apiPath}: HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body as T;
    },
  };
}

export interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  lastHeartbeatTime?: string;
}

export interface NodeObject {
  metadata: { name: string; uid: string };
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: NodeCondition[]; nodeInfo?: { kubeletVersion?: string } };
}

/** The status of a node's condition TYPE ('True', 'False', 'Unknown'), or undefined when absent. */
export function nodeConditionStatus(node: NodeObject, type = 'Ready'): string | undefined {
  return node.status?.conditions?.find((c) => c.type === type)?.status;
}
