/**
 * A hollow Node: `kubemark --morph=kubelet`, the real kubelet code (registration, node status,
 * Lease heartbeats, pod sync) with a fake container runtime and fake cAdvisor, authenticated as
 * system:node:NAME. kubemark makes its root folder and runtime socket in /tmp whatever $TMPDIR
 * says; as root it runs in a mount namespace whose /tmp is its own folder below `dir` (with an
 * inline kubeconfig there), so nothing is left behind.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { partPath } from './bins.js';
import { nodeConditionStatus, type ApiClient, type NodeObject } from './client.js';
import { writeKubeconfig, type ApiEndpoint } from './kubeconfig.js';
import { issueNodeClient, type ControlPlanePki } from './pki.js';
import { freeLoopbackPort, startPart, waitFor, type RunningPart } from './processes.js';

export interface HollowNodeOptions {
  /** Its kubeconfig, log file and scratch folder go here. */
  dir: string;
  name: string;
  pki: ControlPlanePki;
  endpoint: ApiEndpoint;
  labels?: Record<string, string>;
  extraArgs?: string[];
  netns?: string;
  /** Its own /tmp (a mount namespace; needs root). Default: when running as root. */
  privateTmp?: boolean;
}

export interface RunningHollowNode {
  part: RunningPart;
  name: string;
}

/**
 * Runs FILE ARGS with DIR bind-mounted on /tmp in a new mount namespace (unshare and sh exec: same
 * PID). FILE is opened before the mount and run through its descriptor, so it runs even when it
 * lives below /tmp itself (a checkout in /tmp, as a CI clone may be), which the mount hides.
 */
export function withPrivateTmp(dir: string, file: string, args: string[]): [string, string[]] {
  const script = 'exec 3<"$1" && mount --bind "$0" /tmp && shift && exec /proc/self/fd/3 "$@"';
  return ['unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, dir, file, ...args]];
}

export function hollowNodeArgs(o: HollowNodeOptions, kubeconfig: string, kubeletPort: number): string[] {
  const labels = Object.entries(o.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    '--morph=kubelet',
    `--name=${o.name}`,
    `--kubeconfig=${kubeconfig}`,
    `--kubelet-port=${kubeletPort}`,
    '--kubelet-read-only-port=0',
    // No containerd here: the fake runtime's image service too.
    '--use-host-image-service=false',
    '--kube-api-content-type=application/json',
    ...(labels.length > 0 ? [`--node-labels=${labels.join(',')}`] : []),
  ];
}

/** Starts a hollow kubelet (it registers its Node itself); see waitForNodeReady. */
export async function startHollowNode(o: HollowNodeOptions): Promise<RunningHollowNode> {
  const nodeDir = path.join(o.dir, `node-${o.name}`);
  const scratch = path.join(nodeDir, 'tmp');
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const privateTmp = o.privateTmp ?? process.getuid?.() === 0;
  const kubeconfigName = 'kubelet.kubeconfig';
  writeKubeconfig(
    path.join(scratch, kubeconfigName),
    `system:node:${o.name}`,
    o.endpoint,
    issueNodeClient(o.pki, o.name),
    true,
  );
  const kubeconfig = privateTmp ? `/tmp/${kubeconfigName}` : path.join(scratch, kubeconfigName);
  const args = [...hollowNodeArgs(o, kubeconfig, await freeLoopbackPort()), ...(o.extraArgs ?? [])];
  const [file, argv] = privateTmp ? withPrivateTmp(scratch, partPath('kubemark'), args) : [partPath('kubemark'), args];
  const part = startPart(`kubemark ${o.name}`, file, argv, {
    logFile: path.join(nodeDir, 'kubemark.log'),
    ...(o.netns === undefined ? {} : { netns: o.netns }),
  });
  return { part, name: o.name };
}

/** Resolves with the Node object once its Ready condition is STATUS ('True' by default). */
export function waitForNodeCondition(
  admin: ApiClient,
  name: string,
  o: { status?: string; timeoutMs?: number; watch?: RunningPart[] } = {},
): Promise<NodeObject> {
  const want = o.status ?? 'True';
  return waitFor(
    async () => {
      const node = await admin.get<NodeObject>(`/api/v1/nodes/${encodeURIComponent(name)}`);
      return node !== undefined && nodeConditionStatus(node) === want ? node : undefined;
    },
    { timeoutMs: o.timeoutMs ?? 60_000, intervalMs: 500, what: `Node ${name} Ready=${want}`, watch: o.watch ?? [] },
  );
}
