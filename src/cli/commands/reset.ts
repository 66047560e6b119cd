import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UsageError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { CLUSTER_ID } from '../../node/wire.js';
import { DEFAULT_DATA_DIR, k3sOptionsOf } from '../../agent/options.js';
import { createK3sDriver } from '../../cluster/k3s-driver.js';
import { prepareRejoin } from '../../cluster/rejoin.js';
import { parseOptions, write, type Command } from '../command.js';
import { K3S_FLAGS, K3S_FLAGS_HELP, k3sFlagsOf } from '../k3s-flags.js';

const help = `Usage: nucmesh reset --rejoin CLUSTER-ID --yes [options]

Moves this node into another cluster of its fleet: the way out of a 'conflict' (two
clusters of one fleet that formed on both sides of a partition; clusters never merge).
It stops k3s, WIPES THIS NODE'S K3S STATE (etcd data, agent state, kubeconfig, the
drop-in), forgets its cluster and tokens, and tells the agent to join CLUSTER-ID
without an election. The node identity and hardware steps stay. With --k3s-mode
systemd (the image) it stops nucmesh.service first and starts it again at the end;
in child mode stop the agent before and start it after.

Run it on every node of the cluster you give up, agents first, servers last.

Options:
  --rejoin CLUSTER-ID   The cluster to join (as the conflict message names it).
  --yes                 Really wipe this node's k3s state (required).
  --data-dir DIR        nucmesh's data dir (default: ${DEFAULT_DATA_DIR})
${K3S_FLAGS_HELP}
  -h, --help            Show this help.
`;

const run = promisify(execFile);

export const resetCommand: Command = {
  name: 'reset',
  summary: "wipe this node's k3s state and join another cluster of the fleet (--rejoin)",
  help,
  async run(argv, io) {
    const { values } = parseOptions(
      'reset',
      { rejoin: { type: 'string' }, yes: { type: 'boolean' }, 'data-dir': { type: 'string' }, ...K3S_FLAGS },
      argv,
    );
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    const clusterId = values['rejoin'] as string | undefined;
    if (clusterId === undefined)
      throw new UsageError("nucmesh reset: --rejoin CLUSTER-ID is required. See 'nucmesh reset --help'.");
    if (clusterId === '' || !CLUSTER_ID.test(clusterId))
      throw new UsageError(
        `nucmesh reset: --rejoin: '${clusterId.slice(0, 80)}' is not a cluster ID (lowercase letters, digits, dashes)`,
      );
    if (values['yes'] !== true)
      throw new UsageError("nucmesh reset: this wipes the node's k3s state; add --yes to do it");
    const dataDir = (values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR;
    const k3s = k3sOptionsOf({ k3s: k3sFlagsOf('reset', values) ?? {} });
    const log = createLogger({ level: 'warn' });
    const driver = createK3sDriver({ ...k3s, log });
    const systemd = k3s.mode === 'systemd';
    if (systemd) await run('systemctl', ['stop', 'nucmesh.service']);
    const { left } = await prepareRejoin(dataDir, clusterId, driver);
    if (systemd) await run('systemctl', ['start', '--no-block', 'nucmesh.service']);
    write(
      io.stdout,
      `k3s state wiped${left ? ` (was in cluster ${left})` : ''}; the agent joins cluster ${clusterId}` +
        (systemd ? ' (nucmesh.service started)' : ' when it starts'),
    );
    return 0;
  },
};
