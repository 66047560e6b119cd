import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../../errors.js';
import { parseOptions, write, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, apiFailure, apiRequest, readAll, resolveTarget } from '../api-client.js';

const help = `Usage: nucmesh bundle --host H -o FILE [--token T] [--fleet FILE]

Downloads a node's support bundle (.tar.gz: inventory, hardware capture, state and boot
steps, peers, the fleet and k3s configs with every secret redacted, recent logs, dmesg,
ip addr, ip route, disk usage) into FILE (written 0600). Needs the admin token.

Options:
${TARGET_HELP}
  -o, --output FILE   Where to write the bundle.
  -h, --help          Show this help.
`;

export const bundleCommand: Command = {
  name: 'bundle',
  summary: "download a node's support bundle (through its API)",
  help,
  async run(argv, io) {
    const { values } = parseOptions('bundle', { ...TARGET_OPTIONS, output: { type: 'string', short: 'o' } }, argv);
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    const file = values['output'] as string | undefined;
    if (!file) throw new UsageError("nucmesh bundle: -o FILE is required. See 'nucmesh bundle --help'.");
    const t = await resolveTarget('bundle', values, io.env, 'admin');
    const res = await apiRequest(t, '/v1/support-bundle');
    if (res.statusCode !== 200)
      throw apiFailure('/v1/support-bundle', res.statusCode ?? 0, JSON.parse((await readAll(res)) || '{}'));
    await pipeline(res, createWriteStream(file, { mode: 0o600 }));
    write(io.stderr, `support bundle written to ${file}`);
    return 0;
  },
};
