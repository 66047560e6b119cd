import type { NodeView } from '../../api/ops-schemas.js';
import { NucmeshError, UsageError } from '../../errors.js';
import { parseOptions, write, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, apiFailure, getJson, resolveTarget } from '../api-client.js';

const help = `Usage: nucmesh leave --yes [--host H] [--token T] [--fleet FILE] [--no-wait]

Takes a node out of its cluster for good, the way kubectl drain and kubectl delete node do:
cordons it, evicts its pods (PodDisruptionBudgets are respected: a drain they hold waits, up
to 10 minutes), deletes its Node (a server's etcd member goes with it), stops k3s and removes
its k3s state; the node then advertises 'left' and stays out of every cluster until
'nucmesh reset --rejoin CLUSTER-ID'. Refused, saying why, on the last server of a cluster and
on a server whose leaving would break etcd's quorum.

Runs through the node's API with the admin token (default: the node itself, 127.0.0.1) and
follows its progress until the node has left.

Options:
  --yes               Required: leaving drains the node's workloads.
  --no-wait           Return once the leaving is under way.
${TARGET_HELP}
  -h, --help          Show this help.

Exit code 0 once the node has left, 1 when it was refused or failed (the reason is printed).
`;

const POLL_MS = 2000;
const WAIT_MS = 15 * 60_000;

export const leaveCommand: Command = {
  name: 'leave',
  summary: 'take a node out of its cluster: cordon, drain, delete its Node, wipe k3s',
  help,
  async run(argv, io) {
    const { values } = parseOptions(
      'leave',
      { ...TARGET_OPTIONS, yes: { type: 'boolean' }, 'no-wait': { type: 'boolean' } },
      argv,
    );
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    if (values['yes'] !== true)
      throw new UsageError('nucmesh leave: drains the node and removes it from its cluster; say --yes to do it');
    const t = await resolveTarget('leave', values, io.env, 'admin');
    const path = '/v1/actions/leave';
    const started = await getJson<{ message?: string; code?: string }>(t, path, {
      method: 'POST',
      body: { confirm: 'leave' },
    });
    if (started.status === 409)
      throw new NucmeshError('E_LEAVE_REFUSED', `refused: ${started.body.message ?? 'the node may not leave now'}`);
    if (started.status !== 202) throw apiFailure(path, started.status, started.body);
    write(io.stdout, `leaving: ${started.body.message ?? ''}`);
    if (values['no-wait'] === true) return 0;
    let last = '';
    for (const until = Date.now() + WAIT_MS; Date.now() < until;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      const node = await getJson<NodeView>(t, '/v1/node');
      if (node.status !== 200) throw apiFailure('/v1/node', node.status, node.body);
      const { state, detail = '' } = node.body;
      const line = `${state}${detail ? `: ${detail}` : ''}`;
      if (line !== last) write(io.stdout, line);
      last = line;
      if (state === 'left') return 0;
      if (state !== 'leaving' && detail.startsWith('leaving failed')) throw new NucmeshError('E_LEAVE_REFUSED', detail);
    }
    throw new NucmeshError('E_LEAVE_REFUSED', `the node has not left after ${WAIT_MS / 60_000} minutes: ${last}`);
  },
};
