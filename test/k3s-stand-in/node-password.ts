/**
 * The node password check of /v1-k3s/client-kubelet.crt with the real parts, kept where k3s keeps it
 * (pkg/nodepassword): the Secret `<node-name>.node-password.k3s` in kube-system, type
 * `k3s.cattle.io/node-password`, made by the first request for that node name; a later request with
 * another password is rejected. k3s stores a salted scrypt hash in its `hash` key; the stand-in stores
 * the sha256 of the password (tests only).
 */
import { sha256 } from './files.js';
import { kube, type KubeClient } from './kube.js';

export type NodePasswordVerdict = 'ok' | 'rejected' | 'unavailable';

export async function checkNodePassword(api: KubeClient, node: string, password: string): Promise<NodePasswordVerdict> {
  const name = `${node}.node-password.k3s`;
  const hash = sha256(password);
  const base = '/api/v1/namespaces/kube-system/secrets';
  const found = await kube(api, 'GET', `${base}/${encodeURIComponent(name)}`);
  if (found.status === 200) {
    const data = (found.body as { data?: Record<string, string> }).data ?? {};
    return Buffer.from(data['hash'] ?? '', 'base64').toString('utf8') === hash ? 'ok' : 'rejected';
  }
  if (found.status !== 404) return 'unavailable';
  const made = await kube(api, 'POST', base, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'kube-system' },
    type: 'k3s.cattle.io/node-password',
    immutable: true,
    data: { hash: Buffer.from(hash).toString('base64') },
  });
  if (made.status === 201) return 'ok';
  // Made meanwhile by another request for the same name: check against it.
  return made.status === 409 ? checkNodePassword(api, node, password) : 'unavailable';
}
