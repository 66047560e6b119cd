import path from 'node:path';
import { UsageError } from '../../errors.js';
import { loadFleetConfig, serverCount, writeNewFleetConfig } from '../../config/fleet.js';
import { fleetId } from '../../node/fleet-crypto.js';
import { parseOptions, write, type Command } from '../command.js';

const help = `Usage:
  nucmesh fleet init FILE [--name NAME]
  nucmesh fleet check FILE

The fleet config is the one file every node of a fleet boots with: the fleet name,
the fleet key (32 random bytes that sign discovery adverts and guard join tokens),
the ops API tokens, the number of control-plane servers and the discovery, API and
k3s settings. Everything optional has a default.

Subcommands:
  init FILE     Write a new fleet config with fresh random secrets (mode 0600).
                Refuses to overwrite an existing file.
  check FILE    Validate a fleet config; every error names the field.

Options:
  --name NAME   Fleet name for 'init' (a DNS label; default: the file's base name
                without extension, else "fleet").
  -h, --help    Show this help.
`;

function defaultName(file: string): string {
  const base = path
    .basename(file)
    .replace(/\.[^.]*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return base && base !== 'fleet' && base.length <= 63 ? base : 'fleet';
}

export const fleetCommand: Command = {
  name: 'fleet',
  summary: 'create (init) or validate (check) a fleet config file',
  help,
  async run(argv, io) {
    const { values, positionals } = parseOptions('fleet', { name: { type: 'string' } }, argv, true);
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    const [sub, file, ...rest] = positionals;
    if (!sub) throw new UsageError(`nucmesh fleet: missing subcommand (init or check). See 'nucmesh fleet --help'.`);
    if (sub !== 'init' && sub !== 'check')
      throw new UsageError(`nucmesh fleet: unknown subcommand '${sub}' (expected init or check)`);
    if (!file) throw new UsageError(`nucmesh fleet ${sub}: missing FILE`);
    if (rest.length > 0) throw new UsageError(`nucmesh fleet ${sub}: unexpected argument '${rest[0]}'`);
    if (sub === 'init') {
      const name = typeof values['name'] === 'string' ? values['name'] : defaultName(file);
      const cfg = await writeNewFleetConfig(file, name);
      write(io.stdout, `wrote fleet config ${file} (fleet '${cfg.name}', fleet ID ${fleetId(cfg.key)}, mode 0600)`);
      return 0;
    }
    const loaded = await loadFleetConfig(file);
    if (loaded.tooOpen)
      write(io.stderr, `warning: ${file} is readable by other users; it holds secrets: chmod 600 ${file}`);
    write(
      io.stdout,
      `${file}: valid (fleet '${loaded.config.name}', fleet ID ${fleetId(loaded.config.key)}, ${serverCount(loaded.config)} servers)`,
    );
    return 0;
  },
};
