/** The few Kubernetes API calls the stand-in makes itself (as k3s' own controllers do), with a client certificate. */
import { request } from './http.js';
import type { KeyPair } from './pki.js';

export interface KubeClient {
  base: string;
  ca: string;
  cert: KeyPair;
}

export interface KubeNode {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
    resourceVersion?: string;
  };
}

export async function kube(
  c: KubeClient,
  method: string,
  apiPath: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const a = await request(`${c.base}${apiPath}`, {
    method,
    ca: c.ca,
    cert: c.cert,
    ...(body === undefined ? {} : { body }),
    headers: {
      accept: 'application/json',
      ...(method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}),
    },
  });
  const text = a.body.toString('utf8');
  try {
    return { status: a.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: a.status, body: text };
  }
}

export async function getNode(c: KubeClient, name: string): Promise<KubeNode | undefined> {
  const a = await kube(c, 'GET', `/api/v1/nodes/${encodeURIComponent(name)}`);
  if (a.status === 404) return undefined;
  if (a.status !== 200) throw new Error(`GET node ${name}: HTTP ${a.status}: ${JSON.stringify(a.body)}`);
  return a.body as KubeNode;
}

export async function listNodes(c: KubeClient): Promise<KubeNode[]> {
  const a = await kube(c, 'GET', '/api/v1/nodes');
  if (a.status !== 200) throw new Error(`list nodes: HTTP ${a.status}`);
  return (a.body as { items: KubeNode[] }).items;
}

/** A JSON merge patch of a Node (labels, annotations, finalizers). */
export async function patchNode(c: KubeClient, name: string, patch: object): Promise<void> {
  const a = await kube(c, 'PATCH', `/api/v1/nodes/${encodeURIComponent(name)}`, patch);
  if (a.status !== 200) throw new Error(`patch node ${name}: HTTP ${a.status}: ${JSON.stringify(a.body)}`);
}
