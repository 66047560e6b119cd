import { once } from 'node:events';
import { createLogger, LogRing } from '../../log.js';
import { startAgent } from '../../agent/agent.js';
import { liveAgentHost } from '../../agent/esp-watch.js';
import { DEFAULT_DATA_DIR, DEFAULT_FLEET_PATHS, LIVE_DATA_DIR, type AgentOptions } from '../../agent/options.js';
import { K3S_FLAGS, K3S_FLAGS_HELP, k3sFlagsOf } from '../k3s-flags.js';
import { readLiveMode } from '../../installer/facts.js';
import { intOption, parseOptions, write, type Command } from '../command.js';

const help = `Usage: nucmesh agent [options]

Runs the node service in the foreground (the image's nucmesh.service runs this):
detects the hardware, derives and persists the node identity, starts the local API
and discovery (advertises this node on the LAN with mDNS/DNS-SD and keeps a table of
verified peers; see 'nucmesh peers'), then keeps running until SIGTERM or SIGINT,
which sends mDNS goodbyes. Boot progress is persisted in the data dir: a restart
resumes, it never starts over. Logs are JSON lines on stdout (pretty on a TTY;
NUCMESH_LOG_FORMAT=json|pretty and NUCMESH_LOG_LEVEL override).

It does not exit when it cannot go on. Without a fleet config it stays in state
no-fleet-config (an invalid one: bad-fleet-config, naming the field), with the API's
health route up and discovery off, and goes on by itself once a valid file is at the
path (looked at every 2 s). A failing boot step or an API port that is taken is
retried the same way (state failed, with the reason). The banner and
GET /v1/health say why.

Options:
  --fleet FILE          Fleet config (default: the first that exists of
                        ${DEFAULT_FLEET_PATHS.join(', ')};
                        the first is on the EFI partition the node booted from)
  --data-dir DIR        Persistent state (default: ${DEFAULT_DATA_DIR}; booted from a
                        nucmesh stick: ${LIVE_DATA_DIR}, in RAM)
  --hardware-from DIR   Use a 'nucmesh capture' directory instead of the live
                        machine (tests run many distinct nodes on one machine)
  --interface NAME      Network interface to use; repeat for several
                        (default: every physical interface)
  --api-port N          Port of the local API (default: the fleet config's api.port)
  --inventory-refresh-seconds N
                        Once a member, read the hardware again this often and
                        refresh the Node's nucmesh.io/* labels (default 300)
  --apply-host          This is the node itself (the image's nucmesh.service): set
                        the hostname from the node identity and draw the console
                        banner on NUCMESH_BANNER_TTYS (default /dev/tty1,/dev/ttyS0).
                        Booted from a nucmesh stick (/run/nucmesh/live.env), it
                        installs onto the internal disk first (see 'nucmesh install').
                        Never use it on a developer's machine.
${K3S_FLAGS_HELP}
  -h, --help            Show this help.
`;

export function agentOptionsFrom(argv: string[]): AgentOptions | 'help' {
  const { values } = parseOptions(
    'agent',
    {
      fleet: { type: 'string' },
      'data-dir': { type: 'string' },
      'hardware-from': { type: 'string' },
      interface: { type: 'string', multiple: true },
      'api-port': { type: 'string' },
      'inventory-refresh-seconds': { type: 'string' },
      'apply-host': { type: 'boolean' },
      ...K3S_FLAGS,
    },
    argv,
  );
  if (values.help) return 'help';
  const apiPort = intOption('agent', 'api-port', values['api-port'], 1, 65535);
  const opts: AgentOptions = {
    dataDir: (values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR,
    interfaces: (values['interface'] as string[] | undefined) ?? [],
  };
  if (values['fleet'] !== undefined) opts.fleetFile = values['fleet'] as string;
  if (values['hardware-from'] !== undefined) opts.hardwareFrom = values['hardware-from'] as string;
  if (apiPort !== undefined) opts.apiPort = apiPort;
  const refresh = intOption('agent', 'inventory-refresh-seconds', values['inventory-refresh-seconds'], 1, 86_400);
  if (refresh !== undefined) opts.inventoryRefreshSeconds = refresh;
  const k3s = k3sFlagsOf('agent', values);
  if (k3s) opts.k3s = k3s;
  if (values['apply-host'] === true) {
    opts.applyHost = true;
    const ttys = process.env['NUCMESH_BANNER_TTYS'];
    if (ttys)
      opts.bannerTtys = ttys
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
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
    // Booted from a nucmesh stick (the initramfs says so): installer mode, state in RAM.
    const live = opts.applyHost ? await readLiveMode() : undefined;
    if (live) {
      opts.live = live;
      if (!argv.includes('--data-dir')) opts.dataDir = LIVE_DATA_DIR;
    }
    // The agent's recent lines in memory too: GET /v1/logs serves them where there is no journal.
    const logRing = new LogRing();
    const log = createLogger({ ring: logRing });
    // Listen before starting: a supervisor may signal at any moment, even during the boot steps.
    const stopSignal = Promise.race([
      once(process, 'SIGTERM').then(() => 'SIGTERM'),
      once(process, 'SIGINT').then(() => 'SIGINT'),
    ]);
    // Keep the event loop alive while no service holds it (else node exits 13 on the pending await).
    const keepAlive = setInterval(() => {}, 1 << 30);
    const agent = startAgent(opts, log, liveAgentHost, { logRing });
    const first = await Promise.race([agent.booted.then(() => 'booted' as const), stopSignal]);
    if (first === 'booted') log.info('agent running; SIGTERM or SIGINT stops it');
    const signal = first === 'booted' ? await stopSignal : first;
    clearInterval(keepAlive);
    log.info({ signal }, 'stopping');
    await agent.stop();
    log.info('stopped');
    return 0;
  },
};
