import type { NodeView, PeersView } from '../../api/ops-schemas.js';
import { parseOptions, write, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, apiFailure, getJson, resolveTarget } from '../api-client.js';

const help = `Usage: nucmesh status [--host H] [--token T] [--fleet FILE] [--json]

Asks a node's API what it is doing: state and boot step, role, cluster, peers and, once k3s
is up, the cluster's nodes. For people (a short summary) or scripts (--json: one object with
node, peers and cluster, as the API answers them; cluster is {"unavailable": reason} before k3s).

Options:
${TARGET_HELP}
  --json              Print JSON.
  -h, --help          Show this help.

Exit code 0 when the node answered, 1 when it could not be reached or refused the token.
`;

export const statusCommand: Command = {
  name: 'status',
  summary: "show a node's state, step, role, peers and cluster (through its API)",
  help,
  async run(argv, io) {
    const { values } = parseOptions('status', { ...TARGET_OPTIONS, json: { type: 'boolean' } }, argv);
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    const t = await resolveTarget('status', values, io.env, 'reader');
    const node = await getJson<NodeView>(t, '/v1/node');
    if (node.status !== 200) throw apiFailure('/v1/node', node.status, node.body);
    const peers = await getJson<PeersView>(t, '/v1/peers');
    if (peers.status !== 200) throw apiFailure('/v1/peers', peers.status, peers.body);
    const cluster = await getJson<{ nodes?: { name: string; ready: boolean; roles: string[] }[]; message?: string }>(
      t,
      '/v1/cluster',
    );
    const clusterView = cluster.status === 200 ? cluster.body : { unavailable: cluster.body.message ?? 'unavailable' };
    if (values['json']) {
      write(io.stdout, JSON.stringify({ node: node.body, peers: peers.body, cluster: clusterView }, null, 2));
      return 0;
    }
    const n = node.body;
    const lines = [
      `${n.hostname} (${n.nodeId || 'no identity yet'})  ${n.model ?? 'unknown model'}  serial ${n.serial ?? '-'}`,
      `state    ${n.state}${n.step ? ` (step ${n.step})` : ''}${n.detail ? `: ${n.detail}` : ''}`,
      `role     ${n.role ?? '-'}`,
      `cluster  ${n.clusterId || '-'}`,
      `peers    ${peers.body.discovering ? `${peers.body.peers.length}: ${peers.body.peers.map((p) => `${p.instance} (${p.state})`).join(', ') || '-'}` : 'discovery not running'}`,
    ];
    if (cluster.status === 200 && cluster.body.nodes)
      lines.push(`k8s      ${cluster.body.nodes.map((k) => `${k.name}${k.ready ? '' : ' (not ready)'}`).join(', ')}`);
    else lines.push(`k8s      ${cluster.body.message ?? '-'}`);
    write(io.stdout, lines.join('\n'));
    return 0;
  },
};
