/** A kubeconfig file for one client certificate, as the parts read it (--kubeconfig). */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { CertFiles } from './pki.js';

export interface ApiEndpoint {
  /** https://HOST:PORT of the apiserver. */
  server: string;
  /** The CA file that signed its serving certificate. */
  caFile: string;
}

/** The kubeconfig document (one cluster, user and context, all named after `name`). */
export function kubeconfigDocument(name: string, api: ApiEndpoint, client: CertFiles): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: api.server, 'certificate-authority': api.caFile } }],
    users: [{ name, user: { 'client-certificate': client.cert, 'client-key': client.key } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
}

export function writeKubeconfig(file: string, name: string, api: ApiEndpoint, client: CertFiles): string {
  writeFileSync(file, stringify(kubeconfigDocument(name, api, client)), { mode: 0o600 });
  return file;
}
