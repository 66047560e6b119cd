import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { UsageError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { startAgent } from '../../firstboot/agent.js';
import { DEFAULT_DATA_DIR, DEFAULT_FLEET_PATHS, type AgentOptions } from '../../firstboot/agent-options.js';
import { intOption, parseOptions, write, type Command } from '../command.js';

const help = `Usage: nucmesh agent [options]

Runs the node service in the foreground (the image's nucmesh.service runs this):
detects the hardware, derives and persists the node identity, starts the local API
and discovery (advertises this node on the LAN with mDNS/DNS-SD and keeps a table of
verified peers; see 'nucmesh peers'), then keeps running until SIGTERM or SIGINT,
which sends mDNS goodbyes. Boot progress is persisted in the data dir: a restart
resumes, it never starts over. Logs are JSON lines on stdout (pretty on a TTY;
NUCMESH_LOG_FORMAT=json|pretty and NUCMESH_LOG_LEVEL override).

Options:
  --fleet FILE          Fleet config (default: the first that exists of
                        ${DEFAULT_FLEET_PATHS.join(', ')})
  --data-dir DIR        Persistent state (default: ${DEFAULT_DATA_DIR})
  --hardware-from DIR   Use a 'nucmesh capture' directory instead of the live
                        machine (tests run many distinct nodes on one machine)
  --interface NAME      Network interface to use; repeat for several
                        (default: every physical interface)
  --api-port N          Port of the local API (default: the fleet config's api.port)
  --apply-host          This is the node itself (the image's nucmesh.service): set
                        the hostname from the node identity and draw the console
                        banner on NUCMESH_BANNER_TTYS (default /dev/tty1,/dev/ttyS0).
                        Never use it on a developer's machine.
  -h, --help            Show this help.
`;

export function resolveFleetPath(given: string | undefined, exists: (p: string) => boolean = existsSync): string {
  if (given) return given;
  const found = DEFAULT_FLEET_PATHS.find(exists);
  if (!found) {
    throw new UsageError(`nucmesh agent: no fleet config found (looked at ${DEFAULT_FLEET_PATHS.join(', ')}); pass --fleet FILE, or create one with 'nucmesh fleet init FILE'`);
  }
  return found;
}

export function agentOptionsFrom(argv: string[]): AgentOptions | 'help' {
  const { values } = parseOptions(
    'agent',
    {
      fleet: { type: 'string' },
      'data-dir': { type: 'string' },
      'hardware-from': { type: 'string' },
      interface: { type: 'string', multiple: true },
      'api-port': { type: 'string' },
      'apply-host': { type: 'boolean' },
    },
    argv,
  );
  if (values.help) return 'help';
  const apiPort = intOption('agent', 'api-port', values['api-port'], 1, 65535);
  const opts: AgentOptions = {
    fleetFile: resolveFleetPath(values['fleet'] as string | undefined),
    dataDir: (values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR,
    interfaces: (values['interface'] as string[] | undefined) ?? [],
  };
  if (values['hardware-from'] !== undefined) opts.hardwareFrom = values['hardware-from'] as string;
  if (apiPort !== undefined) opts.apiPort = apiPort;
  if (values['apply-host'] === true) {
    opts.applyHost = true;
    const ttys = process.env['NUCMESH_BANNER_TTYS'];
    if (ttys) opts.bannerTtys = ttys.split(',').map((t) => t.trim()).filter(Boolean);
  }
  return opts;
}

export const agentCommand: Command = {
  name: 'agent',
  summary: 'run the node service in the foreground (what nucmesh.service runs)',
  help,
  async run(argv, io) {
    const opts = agentOptionsFrom(argv);
    if (opts === 'help') {
      write(io.stdout, help);
      return 0;
    }
    const log = createLogger();
    const agent = await startAgent(opts, log);
    // Listen before saying "running": a supervisor may signal as soon as it reads that line.
    const stopSignal = Promise.race([once(process, 'SIGTERM').then(() => 'SIGTERM'), once(process, 'SIGINT').then(() => 'SIGINT')]);
    // Keep the event loop alive while no service holds it (else node exits 13 on the pending await).
    const keepAlive = setInterval(() => {}, 1 << 30);
    log.info('agent running; SIGTERM or SIGINT stops it');
    const signal = await stopSignal;
    clearInterval(keepAlive);
    log.info({ signal }, 'stopping');
    await agent.stop();
    log.info('stopped');
    return 0;
  },
};
