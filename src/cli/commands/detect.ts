import { UsageError } from '../../errors.js';
import { detectInventory } from '../../firstboot/hardware/index.js';
import { deriveIdentity, loadIdentity } from '../../firstboot/identity.js';
import { nfdFeaturesFile, nodeLabels } from '../../firstboot/labels.js';
import { DEFAULT_DATA_DIR } from '../../agent/options.js';
import { parseOptions, write, type Command } from '../command.js';
import { formatDetectTable } from './detect-format.js';

const help = `Usage: nucmesh detect [--from DIR] [--json | --labels | --nfd] [--data-dir DIR]

Detects the hardware and prints what this machine is: model, serial, CPU, RAM,
disks, NICs and the node identity. Reads dmidecode, /sys/class/dmi/id, /proc/cpuinfo,
lscpu, /proc/meminfo, lsblk, ip, lspci, hwinfo, sensors, /sys/class/tpm,
/etc/os-release and systemd-detect-virt; a source that is missing or fails becomes a
warning, never an error. Run as root to see serial numbers and the DMI UUID.

Options:
  --from DIR       Use a 'nucmesh capture' directory instead of the live machine.
  --json           Print the whole inventory as JSON (the contract other tools use).
  --labels         Print the Kubernetes node labels (nucmesh.io/...), one per line.
  --nfd            Print the Node Feature Discovery local-features file content.
  --data-dir DIR   Where the agent keeps identity.json (default: ${DEFAULT_DATA_DIR});
                   a persisted identity there is shown instead of a derived one.
  -h, --help       Show this help.

Exit codes: 0 success, 1 the capture directory cannot be read, 2 usage error.
`;

export const detectCommand: Command = {
  name: 'detect',
  summary: 'detect the hardware and print the inventory and node identity',
  help,
  async run(argv, io) {
    const { values, positionals } = parseOptions(
      'detect',
      {
        from: { type: 'string' },
        json: { type: 'boolean' },
        labels: { type: 'boolean' },
        nfd: { type: 'boolean' },
        'data-dir': { type: 'string' },
      },
      argv,
      true,
    );
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    if (positionals.length > 0)
      throw new UsageError(
        `nucmesh detect: unexpected argument '${positionals[0]}' (a capture directory goes after --from)`,
      );
    const outputs = ['json', 'labels', 'nfd'].filter((k) => values[k] === true);
    if (outputs.length > 1)
      throw new UsageError(
        `nucmesh detect: choose one of --json, --labels, --nfd (got ${outputs.map((o) => `--${o}`).join(' and ')})`,
      );
    const from = values['from'] as string | undefined;
    if (from === '') throw new UsageError('nucmesh detect: --from needs a directory');
    const inv = await detectInventory(from !== undefined ? { from } : {});
    if (values['json']) {
      write(io.stdout, JSON.stringify(inv, null, 2));
      return 0;
    }
    if (values['labels']) {
      write(
        io.stdout,
        Object.entries(nodeLabels(inv))
          .map(([k, v]) => `${k}=${v}`)
          .join('\n'),
      );
      return 0;
    }
    if (values['nfd']) {
      io.stdout.write(nfdFeaturesFile(inv));
      return 0;
    }
    const dataDir = (values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR;
    let persisted: Awaited<ReturnType<typeof loadIdentity>>;
    try {
      persisted = from === undefined || values['data-dir'] !== undefined ? await loadIdentity(dataDir) : undefined;
    } catch {
      persisted = undefined;
    }
    write(
      io.stdout,
      formatDetectTable(inv, { id: persisted ?? deriveIdentity(inv), persisted: persisted !== undefined }),
    );
    return 0;
  },
};
