/**
 * The checks `k3s server` and `k3s agent` make on their flags before starting, with k3s' own error
 * texts, and the options the stand-in acts on (defaults as in pkg/cli/cmds).
 *
 * Rejected (pkg/cli/server/server.go run):
 * - `--cluster-reset-restore-path` without `--cluster-reset`:
 *   "invalid flag use; --cluster-reset required with --cluster-reset-restore-path"
 * - `--disable-etcd` without `--server`: "invalid flag use; --server is required with --disable-etcd"
 * - `--cluster-reset` with `--server`: "cannot perform cluster-reset while server URL is set - remove
 *   server from configuration before resetting"
 * - a server not run as root without `--rootless`/`--disable-agent`:
 *   "server must run as root, or with --rootless and/or --disable-agent"
 * - an unparsable `--cluster-cidr`/`--service-cidr`: "invalid cluster-cidr X" / "invalid service-cidr X"
 * Not rejected: `--cluster-init` with `--server` (the server joins; cluster-init is ignored).
 * Agents (pkg/cli/agent/agent.go): "--token is required" and "--server is required".
 */
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import path from 'node:path';
import { bool, items, list, str, type Flags } from './config.js';

export class K3sStartError extends Error {}

export const DEFAULT_DATA_DIR = '/var/lib/rancher/k3s';
export const DEFAULT_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';

export interface CommonOptions {
  dataDir: string;
  nodeName: string;
  nodeIps: string[];
  labels: Record<string, string>;
  token: string;
  serverUrl: string;
  /** kubelet-arg items (`key=value`), passed to the hollow kubelet with the real parts. */
  kubeletArgs: string[];
}

export interface ServerOptions extends CommonOptions {
  agentToken: string;
  clusterInit: boolean;
  clusterReset: boolean;
  bindAddress: string;
  httpsPort: number;
  advertiseAddress: string;
  tlsSans: string[];
  kubeconfig: string;
  kubeconfigMode: number;
  disableAgent: boolean;
  disableEtcd: boolean;
  kubeApiserverArgs: string[];
  kubeControllerManagerArgs: string[];
  etcdArgs: string[];
  clusterCidr: string;
  serviceCidr: string;
}

export interface AgentOptions extends CommonOptions {
  lbServerPort: number;
}

function common(flags: Flags): CommonOptions {
  const labels: Record<string, string> = {};
  for (const l of (flags.get('node-label') as string[] | undefined) ?? []) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new K3sStartError(`invalid node-label ${l}: expected key=value`);
    labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  const nodeIps = list(flags, 'node-ip');
  for (const ip of nodeIps) if (isIP(ip) === 0) throw new K3sStartError(`invalid node-ip ${ip}`);
  return {
    dataDir: path.resolve(str(flags, 'data-dir', DEFAULT_DATA_DIR)),
    nodeName: (str(flags, 'node-name') || hostname()).toLowerCase(),
    nodeIps,
    labels,
    token: str(flags, 'token'),
    serverUrl: str(flags, 'server'),
    kubeletArgs: items(flags, 'kubelet-arg'),
  };
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new K3sStartError(`invalid ${flag} ${value}`);
  return n;
}

function checkCidrs(flags: Flags, flag: string): void {
  for (const cidr of list(flags, flag)) {
    const [ip, bits, extra] = cidr.split('/');
    const max = isIP(ip ?? '') === 6 ? 128 : 32;
    const n = Number(bits);
    if (extra !== undefined || isIP(ip ?? '') === 0 || !Number.isInteger(n) || n < 0 || n > max)
      throw new K3sStartError(`invalid ${flag} ${cidr}: invalid CIDR address: ${cidr}`);
  }
}

export function serverOptions(flags: Flags, uid: number): ServerOptions {
  const c = common(flags);
  const clusterReset = bool(flags, 'cluster-reset');
  const disableAgent = bool(flags, 'disable-agent');
  if (disableAgent === false && uid !== 0 && !bool(flags, 'rootless'))
    throw new K3sStartError('server must run as root, or with --rootless and/or --disable-agent');
  if (str(flags, 'cluster-reset-restore-path') !== '' && !clusterReset)
    throw new K3sStartError('invalid flag use; --cluster-reset required with --cluster-reset-restore-path');
  if (bool(flags, 'disable-etcd') && c.serverUrl === '')
    throw new K3sStartError('invalid flag use; --server is required with --disable-etcd');
  checkCidrs(flags, 'cluster-cidr');
  checkCidrs(flags, 'service-cidr');
  if (clusterReset && c.serverUrl !== '')
    throw new K3sStartError(
      'cannot perform cluster-reset while server URL is set - remove server from configuration before resetting',
    );
  const mode = str(flags, 'write-kubeconfig-mode', '0600');
  return {
    ...c,
    agentToken: str(flags, 'agent-token'),
    clusterInit: bool(flags, 'cluster-init'),
    clusterReset,
    bindAddress: str(flags, 'bind-address', '0.0.0.0'),
    httpsPort: port(str(flags, 'https-listen-port', '6443'), 'https-listen-port'),
    advertiseAddress: str(flags, 'advertise-address') || (c.nodeIps[0] ?? ''),
    tlsSans: list(flags, 'tls-san'),
    kubeconfig: path.resolve(str(flags, 'write-kubeconfig', DEFAULT_KUBECONFIG)),
    kubeconfigMode: parseInt(mode, 8),
    disableAgent,
    disableEtcd: bool(flags, 'disable-etcd'),
    kubeApiserverArgs: items(flags, 'kube-apiserver-arg'),
    kubeControllerManagerArgs: items(flags, 'kube-controller-manager-arg'),
    etcdArgs: items(flags, 'etcd-arg'),
    clusterCidr: list(flags, 'cluster-cidr')[0] ?? '10.42.0.0/16',
    serviceCidr: list(flags, 'service-cidr')[0] ?? '10.43.0.0/16',
  };
}

export function agentOptions(flags: Flags): AgentOptions {
  const c = common(flags);
  if (c.token === '' && str(flags, 'token-file') === '') throw new K3sStartError('--token is required');
  if (c.serverUrl === '') throw new K3sStartError('--server is required');
  return { ...c, lbServerPort: port(str(flags, 'lb-server-port', '6444'), 'lb-server-port') };
}
