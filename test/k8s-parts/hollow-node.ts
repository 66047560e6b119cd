/**
 * A hollow Node: `kubemark --morph=kubelet`, the real kubelet code (registration, node status,
 * Lease heartbeats, pod sync) with a fake container runtime and fake cAdvisor, authenticated as
 * system:node:NAME. Its scratch folders (kubemark makes them in $TMPDIR) stay below `dir`.
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
}

export interface RunningHollowNode {
  part: RunningPart;
  name: string;
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
  const kubeconfig = writeKubeconfig(
    path.join(nodeDir, 'kubelet.kubeconfig'),
    `system:node:${o.name}`,
    o.endpoint,
    issueNodeClient(o.pki, o.name),
  );
  const args = [...hollowNodeArgs(o, kubeconfig, await freeLoopbackPort()), ...(o.extraArgs ?? [])];
  const part = startPart(`kubemark ${o.name}`, partPath('kubemark'), args, {
    logFile: path.join(nodeDir, 'kubemark.log'),
    env: { ...process.env, TMPDIR: scratch },
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
