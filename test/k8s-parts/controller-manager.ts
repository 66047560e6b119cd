/**
 * kube-controller-manager with leader election (a Lease in kube-system), all default controllers:
 * node lifecycle (NotReady marking, taints, eviction), garbage collection, service-account tokens.
 */
import path from 'node:path';
import { partPath } from './bins.js';
import type { ApiClient } from './client.js';
import { writeKubeconfig, type ApiEndpoint } from './kubeconfig.js';
import type { ControlPlanePki } from './pki.js';
import { freeLoopbackPort, startPart, waitFor, type RunningPart } from './processes.js';

export interface ControllerManagerOptions {
  /** Its kubeconfig and log file go here. */
  dir: string;
  pki: ControlPlanePki;
  endpoint: ApiEndpoint;
  /** Checks the leader Lease; usually the apiserver's admin client. */
  admin: ApiClient;
  /** How long a silent node stays Ready (upstream default 50s). */
  nodeMonitorGracePeriod?: string;
  host?: string;
  extraArgs?: string[];
  netns?: string;
  startTimeoutMs?: number;
}

export interface RunningControllerManager {
  part: RunningPart;
  /** The holderIdentity of the kube-controller-manager Lease once it leads. */
  leader: string;
}

export function controllerManagerArgs(o: ControllerManagerOptions, kubeconfig: string, port: number): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--bind-address=${o.host ?? '127.0.0.1'}`,
    `--secure-port=${port}`,
    '--leader-elect=true',
    `--service-account-private-key-file=${o.pki.serviceAccount.privateKey}`,
    `--root-ca-file=${o.pki.ca.cert}`,
    '--use-service-account-credentials=true',
    `--node-monitor-grace-period=${o.nodeMonitorGracePeriod ?? '50s'}`,
    '--profiling=false',
    `--cert-dir=${path.join(o.dir, 'kcm-certs')}`,
  ];
}

interface Lease {
  spec?: { holderIdentity?: string };
}

/** Starts kube-controller-manager and resolves once it holds the leader Lease. */
export async function startControllerManager(o: ControllerManagerOptions): Promise<RunningControllerManager> {
  const kubeconfig = writeKubeconfig(
    path.join(o.dir, 'controller-manager.kubeconfig'),
    'kube-controller-manager',
    o.endpoint,
    o.pki.controllerManager,
  );
  const port = await freeLoopbackPort(o.host);
  const args = [...controllerManagerArgs(o, kubeconfig, port), ...(o.extraArgs ?? [])];
  const part = startPart('kube-controller-manager', partPath('kube-controller-manager'), args, {
    logFile: path.join(o.dir, 'kube-controller-manager.log'),
    ...(o.netns === undefined ? {} : { netns: o.netns }),
  });
  const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager';
  const leader = await waitFor(async () => (await o.admin.get<Lease>(leasePath))?.spec?.holderIdentity || undefined, {
    timeoutMs: o.startTimeoutMs ?? 60_000,
    intervalMs: 500,
    what: 'the kube-controller-manager leader Lease',
    watch: [part],
  });
  return { part, leader };
}
