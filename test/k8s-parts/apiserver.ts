/** kube-apiserver against one etcd, serving HTTPS with the test PKI, Node+RBAC authorization. */
import path from 'node:path';
import { partPath } from './bins.js';
import { apiClient, type ApiClient } from './client.js';
import type { ApiEndpoint } from './kubeconfig.js';
import type { ControlPlanePki } from './pki.js';
import { freeLoopbackPort, startPart, waitFor, type RunningPart } from './processes.js';

export interface ApiserverOptions {
  /** The log file kube-apiserver.log goes here. */
  dir: string;
  pki: ControlPlanePki;
  etcdUrl: string;
  host?: string;
  port?: number;
  /**
   * The address in the kubernetes Service's endpoints. Default: HOST, unless it is loopback
   * (which that Endpoints object refuses): then none, and the apiserver picks the address of
   * the interface with the default route (so a namespace without one needs this set).
   */
  advertiseAddress?: string;
  /** k3s' default service range. */
  serviceCidr?: string;
  extraArgs?: string[];
  netns?: string;
  startTimeoutMs?: number;
}

export interface RunningApiserver {
  part: RunningPart;
  endpoint: ApiEndpoint;
  /** A client as the admin (system:masters). */
  admin: ApiClient;
}

function isLoopback(host: string): boolean {
  return host === '::1' || host === 'localhost' || host.startsWith('127.');
}

function advertiseArgs(address: string | undefined): string[] {
  return address === undefined ? [] : [`--advertise-address=${address}`];
}

export function apiserverArgs(o: ApiserverOptions, host: string, port: number): string[] {
  const { pki } = o;
  return [
    `--etcd-servers=${o.etcdUrl}`,
    `--bind-address=${host}`,
    ...advertiseArgs(o.advertiseAddress ?? (isLoopback(host) ? undefined : host)),
    `--secure-port=${port}`,
    `--tls-cert-file=${pki.apiserverServing.cert}`,
    `--tls-private-key-file=${pki.apiserverServing.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
    `--kubelet-client-key=${pki.apiserverKubeletClient.key}`,
    `--kubelet-certificate-authority=${pki.ca.cert}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.serviceAccount.publicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccount.privateKey}`,
    `--service-cluster-ip-range=${o.serviceCidr ?? '10.43.0.0/16'}`,
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    '--allow-privileged=true',
    '--profiling=false',
    `--cert-dir=${path.join(o.dir, 'apiserver-certs')}`,
  ];
}

/** Starts kube-apiserver and resolves once /readyz answers ok to the admin. */
export async function startApiserver(o: ApiserverOptions): Promise<RunningApiserver> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? (await freeLoopbackPort(host));
  const part = startPart(
    'kube-apiserver',
    partPath('kube-apiserver'),
    [...apiserverArgs(o, host, port), ...(o.extraArgs ?? [])],
    {
      logFile: path.join(o.dir, 'kube-apiserver.log'),
      ...(o.netns === undefined ? {} : { netns: o.netns }),
    },
  );
  const endpoint = { server: `https://${host}:${port}`, caFile: o.pki.ca.cert };
  const admin = apiClient(endpoint, o.pki.admin);
  await waitFor(async () => ((await admin.call('GET', '/readyz')).status === 200 ? true : undefined), {
    timeoutMs: o.startTimeoutMs ?? 90_000,
    intervalMs: 500,
    what: 'kube-apiserver /readyz',
    watch: [part],
  });
  return { part, endpoint, admin };
}
