/**
 * The virtual warehouse (scripts/virtual-warehouse.sh runs this): N NUCs in network namespaces on
 * one bridge, each running `nucmesh agent` on a real hardware capture with the k3s stand-in, so
 * nucmesh can be tried without hardware. A dev tool: it is not in the image.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { hardwareFixturesDir } from '../../helpers/paths.js';
import { describeK8sMode } from './k8s-mode.js';
import { collectStatus, formatStatus, type WarehouseStatus } from './status.js';
import { DEFAULT_DIR, readState } from './state.js';
import { MAX_NODES, down, up } from './warehouse.js';

export const HELP = `Usage: scripts/virtual-warehouse.sh up N [--loss PCT] [--wait S] [--hardware DIR] [--placeholder] [--dir D]
       scripts/virtual-warehouse.sh status [--json] [--dir D]
       scripts/virtual-warehouse.sh down [--dir D]

A virtual warehouse: N NUCs in network namespaces on one bridge, to try nucmesh without
hardware (as root). Each NUC is a namespace (eth0 at 10.88.0.<i>/24) running 'nucmesh agent'
(dist/src/cli, built first when missing) on a real hardware capture (the folders of
--hardware, cycled when N is larger; a NUC replaying a capture a second time gets a serial of
its own when the capture's identity would collide) with the k3s stand-in
(test/k3s-stand-in/k3s) as its k3s. They find each other with mDNS, elect a seed and form one
cluster (3 servers, the fleet config's default, and agents), as NUCs on a real LAN do.

Kubernetes: when the pinned real parts are built (scripts/k8s-test-bins.sh, into
$NUCMESH_K8S_BINS, default /var/cache/nucmesh/k8s-bins) the stand-in runs real etcd,
kube-apiserver, kube-controller-manager and kubemark (K3S_STANDIN_K8S_BINS); otherwise its
placeholder API. 'up' says which, and why.

Commands:
  up N          Make N NUCs (1 to ${MAX_NODES}) and start their agents. Refused when a warehouse is
                already up in the folder.
  status        The nodes as Kubernetes sees them (GET /api/v1/nodes with a server's admin
                kubeconfig: name, Ready, roles, nucmesh.io labels) and each NUC's own state
                (its local API on the namespace's loopback: nucmesh status --json).
  down          Stop the agents by their recorded PIDs (and whatever is left inside the
                warehouse's namespaces), delete the namespaces and the bridge, remove the folder.

Options:
  --loss PCT     up: drop PCT % of the packets on every bridge port (tc netem); a kernel
                 without sch_netem is reported and the warehouse runs without loss.
  --wait S       up: wait up to S seconds until Kubernetes lists N Ready nodes (exit 1 if not).
  --hardware DIR up: the captures (default ${hardwareFixturesDir}).
  --placeholder  up: the stand-in's placeholder API even when the real parts are built (a NUC
                 then takes ~0.25 GB of memory instead of ~0.75 GB for a server on the real parts).
  --dir D        The state folder (default ${DEFAULT_DIR}): fleet.yaml (its tokens
                 reach each node's API), nodes/<n>/agent.log, data and k3s files. Namespace
                 names carry a prefix derived from it (nmwhXXXX-), so nothing else is touched.
  --json         status: one JSON document.
  -h, --help     This help.

Inside a NUC: ip netns exec <namespace> node dist/src/cli/bin.js status

Exit codes: 0 done, 1 failed (the message says why), 2 usage error.
`;

class UsageError extends Error {}

function count(raw: string | undefined): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < 1 || n > MAX_NODES)
    throw new UsageError(`up needs the number of NUCs, 1 to ${MAX_NODES}, got '${raw ?? ''}'`);
  return n;
}

function number(name: string, raw: string | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > max) throw new UsageError(`--${name} must be a number from 0 to ${max}`);
  return n;
}

async function waitReady(dir: string, nodes: number, seconds: number): Promise<WarehouseStatus> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const state = readState(dir);
    if (!state) throw new Error(`the warehouse in ${dir} is gone`);
    const s = await collectStatus(state);
    const ready = 'nodes' in s.kubernetes ? s.kubernetes.nodes.filter((n) => n.ready).length : 0;
    if (ready >= nodes) return s;
    if (Date.now() > end)
      throw new Error(`${ready} of ${nodes} nodes Ready after ${seconds} s:\n${formatStatus(s)}`.trimEnd());
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      loss: { type: 'string' },
      wait: { type: 'string' },
      hardware: { type: 'string' },
      placeholder: { type: 'boolean' },
      dir: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (!['up', 'status', 'down'].includes(command))
    throw new UsageError(`unknown command '${command}': up, status or down`);
  const upOnly = (['loss', 'wait', 'hardware', 'placeholder'] as const).filter((o) => values[o] !== undefined);
  if (command !== 'up' && upOnly.length > 0) throw new UsageError(`--${upOnly[0]} is an option of up`);
  if (command !== 'status' && values.json) throw new UsageError('--json is an option of status');
  if (rest.length > (command === 'up' ? 1 : 0)) throw new UsageError(`too many arguments: ${rest.join(' ')}`);
  const n = command === 'up' ? count(rest[0]) : 0;
  const lossPercent = number('loss', values.loss, 100);
  const wait = number('wait', values.wait, 3600);
  if (process.getuid?.() !== 0) throw new Error('the virtual warehouse needs root (network namespaces)');
  const dir = path.resolve(values.dir ?? DEFAULT_DIR);
  const say = (line: string) => process.stdout.write(line + '\n');
  if (command === 'up') {
    const state = await up({
      dir,
      count: n,
      hardwareDir: path.resolve(values.hardware ?? hardwareFixturesDir),
      ...(lossPercent !== undefined ? { lossPercent } : {}),
      placeholder: values.placeholder === true,
      say,
    });
    say(`Kubernetes: ${describeK8sMode(state.k8s)}`);
    say(`${n} NUCs up; state in ${dir}. 'status' shows them, 'down' removes them.`);
    if (wait !== undefined) process.stdout.write(formatStatus(await waitReady(dir, n, wait)));
    return 0;
  }
  if (command === 'status') {
    const state = readState(dir);
    if (!state) throw new Error(`no virtual warehouse is up in ${dir}`);
    const s = await collectStatus(state);
    process.stdout.write(values.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
    return 0;
  }
  if ((await down(dir, say)) === undefined) say(`no virtual warehouse is up in ${dir}: nothing to remove`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`virtual-warehouse: ${e instanceof Error ? e.message : String(e)}\n`);
    if (usage) process.stderr.write("See 'scripts/virtual-warehouse.sh --help'.\n");
    process.exitCode = usage ? 2 : 1;
  },
);
