/**
 * `status`: the nodes as Kubernetes sees them (GET /api/v1/nodes with a server's admin
 * kubeconfig, asked from inside that server's namespace) and each NUC's own view (its local API
 * on the namespace's loopback, `nucmesh status --json`), as a table or one JSON document.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterViewOf } from '../../../src/agent/cluster-view.js';
import { loadFleetConfig } from '../../../src/config/fleet.js';
import type { ClusterView, NodeView } from '../../../src/api/ops-schemas.js';
import { textTable as table } from '../../../src/cli/text-table.js';
import { cliPath } from '../../helpers/paths.js';
import { nodeIn } from './agents.js';
import { describeK8sMode } from './k8s-mode.js';
import { isRunning } from './processes.js';
import type { K8sMode, WarehouseNode, WarehouseState } from './state.js';

const kubeNodesScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kube-nodes.js');

export type NucmeshView = Pick<NodeView, 'nodeId' | 'hostname' | 'model' | 'state' | 'role' | 'clusterId'> & {
  detail?: string;
};

export interface NodeStatus {
  name: string;
  netns: string;
  address: string;
  capture: string;
  serialOverride?: string;
  pid?: number;
  running: boolean;
  nucmesh: NucmeshView | { unavailable: string };
}

export interface WarehouseStatus {
  dir: string;
  k8sMode: K8sMode;
  loss?: WarehouseState['loss'];
  /** The Node list, and the warehouse node whose kubeconfig read it. */
  kubernetes: (ClusterView & { from: string }) | { unavailable: string };
  nodes: NodeStatus[];
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

async function nucmeshViewOf(node: WarehouseNode, token: string): Promise<NucmeshView | { unavailable: string }> {
  if (!node.agent || !isRunning(node.agent)) return { unavailable: 'its agent is not running' };
  const r = await nodeIn(node.netns, [cliPath, 'status', '--json'], { ...process.env, NUCMESH_TOKEN: token });
  const n = r.ok ? parseJson<{ node?: NodeView }>(r.stdout)?.node : undefined;
  if (!n) return { unavailable: `nucmesh status failed: ${r.why || r.stdout.slice(0, 200)}` };
  return {
    nodeId: n.nodeId,
    hostname: n.hostname,
    model: n.model,
    state: n.state,
    role: n.role,
    clusterId: n.clusterId,
    ...(n.detail !== undefined ? { detail: n.detail } : {}),
  };
}

/** The Node list through the first node, servers first, whose admin kubeconfig answers. */
async function kubernetesView(
  nodes: readonly WarehouseNode[],
  views: readonly NodeStatus[],
): Promise<WarehouseStatus['kubernetes']> {
  const isServer = (i: number) => {
    const v = views[i]?.nucmesh;
    return v !== undefined && 'role' in v && v.role === 'server';
  };
  const order = nodes.map((n, i) => ({ n, i })).sort((a, b) => Number(isServer(b.i)) - Number(isServer(a.i)));
  const tried: string[] = [];
  for (const { n, i } of order) {
    if (!existsSync(n.kubeconfig) || !views[i]?.running) continue;
    const r = await nodeIn(n.netns, [kubeNodesScript, n.kubeconfig]);
    const answer = parseJson<{ items?: unknown[]; error?: string }>(r.stdout) ?? {};
    if (r.ok && answer.items) {
      const clusterId = (views[i]?.nucmesh as { clusterId?: string }).clusterId ?? '';
      const view = clusterViewOf(clusterId, answer.items as Parameters<typeof clusterViewOf>[1]);
      return { from: n.name, ...view, nodes: view.nodes.sort((a, b) => a.name.localeCompare(b.name)) };
    }
    tried.push(`${n.name}: ${answer.error ?? r.why}`);
  }
  return {
    unavailable: tried.length === 0 ? 'no node has an admin kubeconfig yet (no k3s server is up)' : tried.join('; '),
  };
}

export async function collectStatus(state: WarehouseState): Promise<WarehouseStatus> {
  const { config } = await loadFleetConfig(state.fleetFile);
  const nodes = await Promise.all(
    state.nodes.map(async (n): Promise<NodeStatus> => ({
      name: n.name,
      netns: n.netns,
      address: n.address,
      capture: n.capture,
      ...(n.serialOverride !== undefined ? { serialOverride: n.serialOverride } : {}),
      ...(n.agent ? { pid: n.agent.pid } : {}),
      running: n.agent !== undefined && isRunning(n.agent),
      nucmesh: await nucmeshViewOf(n, config.api.tokens.reader),
    })),
  );
  return {
    dir: state.dir,
    k8sMode: state.k8s,
    ...(state.loss ? { loss: state.loss } : {}),
    kubernetes: await kubernetesView(state.nodes, nodes),
    nodes,
  };
}

/** The label columns shown in the table (all nucmesh.io labels are in --json). */
const LABEL_COLUMNS = ['model', 'memory-gib', 'cpu-cores', 'platform'] as const;

/** The text `status` prints (pure). */
export function formatStatus(s: WarehouseStatus): string {
  const out: string[] = [];
  out.push(`Kubernetes: ${describeK8sMode(s.k8sMode)}`);
  if (s.loss)
    out.push(
      `Packet loss: ${s.loss.applied ? `${s.loss.percent}% on every bridge port (netem)` : `none (${s.loss.reason})`}`,
    );
  out.push('');
  if ('unavailable' in s.kubernetes) out.push(`Nodes in Kubernetes: unavailable: ${s.kubernetes.unavailable}`);
  else {
    const k = s.kubernetes;
    const ready = k.nodes.filter((n) => n.ready).length;
    out.push(`Nodes in Kubernetes (GET /api/v1/nodes through ${k.from}): ${k.nodes.length}, ${ready} Ready`);
    out.push(
      table([
        ['NAME', 'READY', 'ROLES', ...LABEL_COLUMNS.map((c) => c.toUpperCase())],
        ...k.nodes.map((n) => [
          n.name,
          n.ready ? 'True' : 'False',
          n.roles.join(',') || '<none>',
          ...LABEL_COLUMNS.map((c) => n.labels[`nucmesh.io/${c}`] ?? '-'),
        ]),
      ]),
    );
  }
  out.push('', 'NUCs (nucmesh status --json in each namespace):');
  out.push(
    table([
      ['NUC', 'NAMESPACE', 'ADDRESS', 'CAPTURE', 'PID', 'HOSTNAME', 'STATE', 'ROLE'],
      ...s.nodes.map((n) => {
        const v = n.nucmesh;
        const own = 'unavailable' in v ? ['-', `(${v.unavailable})`, '-'] : [v.hostname, v.state, v.role ?? '-'];
        const pid = n.pid === undefined ? '-' : `${n.pid}${n.running ? '' : ' (gone)'}`;
        return [n.name, n.netns, n.address, n.capture + (n.serialOverride ? '*' : ''), pid, ...own];
      }),
    ]),
  );
  if (s.nodes.some((n) => n.serialOverride))
    out.push('* a copy of the capture with a serial of its own (an earlier NUC replays it too)');
  return out.join('\n') + '\n';
}
