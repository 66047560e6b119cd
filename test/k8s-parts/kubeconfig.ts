/** A kubeconfig file for one client certificate, as the parts read it (--kubeconfig). */
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { CertFiles } from './pki.js';

export interface ApiEndpoint {
  /** https://HOST:PORT of the apiserver. */
  server: string;
  /** The CA file that signed its serving certificate. */
  caFile: string;
}

const base64Of = (file: string): string => readFileSync(file).toString('base64');

/**
 * The kubeconfig document (one cluster, user and context, all named after `name`), naming the
 * certificate files, or with `inline` carrying them (for a client that cannot see the files).
 */
export function kubeconfigDocument(
  name: string,
  api: ApiEndpoint,
  client: CertFiles,
  inline = false,
): Record<string, unknown> {
  const cluster = inline
    ? { server: api.server, 'certificate-authority-data': base64Of(api.caFile) }
    : { server: api.server, 'certificate-authority': api.caFile };
  const user = inline
    ? { 'client-certificate-data': base64Of(client.cert), 'client-key-data': base64Of(client.key) }
    : { 'client-certificate': client.cert, 'client-key': client.key };
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
}

export function writeKubeconfig(
  file: string,
  name: string,
  api: ApiEndpoint,
  client: CertFiles,
  inline = false,
): string {
  writeFileSync(file, stringify(kubeconfigDocument(name, api, client, inline)), { mode: 0o600 });
  return file;
}
