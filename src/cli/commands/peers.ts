import { existsSync } from 'node:fs';
import { loadFleetConfig } from '../../config/fleet.js';
import { fleetId, fleetKeyBytes } from '../../node/fleet-crypto.js';
import { DEFAULT_FLEET_PATHS } from '../../agent/options.js';
import { browseOnce, type PeerListing } from '../../discovery/browse-once.js';
import type { FleetView } from '../../discovery/evaluate.js';
import { intOption, parseOptions, write, type Command } from '../command.js';
import { textTable } from '../text-table.js';

const help = `Usage: nucmesh peers [--fleet FILE] [--timeout S] [--json] [--interface NAME]...

Browses the LAN for nucmesh nodes (mDNS service _nucmesh._tcp) for S seconds and prints
each one found: node ID, state, cluster, addresses, and whether its advert is from our
fleet and its signature verifies. With a fleet config (given, or found at
${DEFAULT_FLEET_PATHS.join(', ')}) signatures are checked with the fleet key; without one
every advert is shown as unverified. The fleet key is never printed or sent.

Options:
  --fleet FILE        Fleet config to verify adverts with.
  --timeout S         Seconds to browse (default 3, 1 to 600).
  --json              Print a JSON array: per peer nodeId, instance, state, cluster,
                      addresses, port, generation, fleetId, fleetMatches, verified and,
                      when something is wrong with the advert, problem.
  --interface NAME    Interface to browse on; repeat for several (default: all physical).
  -h, --help          Show this help.

Exit code 0 even when no peer answers (the list is then empty).
`;

function table(peers: PeerListing[]): string {
  if (peers.length === 0) return 'no nucmesh nodes found';
  const rows = [['INSTANCE', 'NODE ID', 'STATE', 'CLUSTER', 'ADDRESSES', 'FLEET', 'SIGNATURE']];
  for (const p of peers) {
    rows.push([
      p.instance,
      p.nodeId ?? '-',
      p.state ?? '-',
      p.cluster || '-',
      p.addresses.join(',') || '-',
      p.fleetMatches ? 'ours' : p.fleetId ? 'other' : '-',
      p.verified ? 'valid' : p.problem?.includes('signature does not verify') ? 'INVALID' : 'unverified',
    ]);
  }
  return textTable(rows);
}

export const peersCommand: Command = {
  name: 'peers',
  summary: 'list the nucmesh nodes on the LAN, with signature checks',
  help,
  async run(argv, io) {
    const { values } = parseOptions(
      'peers',
      {
        fleet: { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        interface: { type: 'string', multiple: true },
      },
      argv,
    );
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    const seconds = intOption('peers', 'timeout', values['timeout'], 1, 600) ?? 3;
    const file = (values['fleet'] as string | undefined) ?? DEFAULT_FLEET_PATHS.find((p) => existsSync(p));
    const fleet: FleetView = {};
    if (file) {
      const { config } = await loadFleetConfig(file);
      fleet.fleetId = fleetId(config.key);
      fleet.key = fleetKeyBytes(config);
    }
    const { peers, interfaces } = await browseOnce({
      seconds,
      fleet,
      interfaces: (values['interface'] as string[] | undefined) ?? [],
    });
    if (values['json']) write(io.stdout, JSON.stringify(peers, null, 2));
    else {
      if (interfaces.length === 0)
        write(io.stderr, 'nucmesh peers: no usable network interface (up, with an IPv4 address)');
      if (!file)
        write(io.stderr, 'nucmesh peers: no fleet config: signatures are shown as unverified (pass --fleet FILE)');
      write(io.stdout, table(peers));
    }
    return 0;
  },
};
