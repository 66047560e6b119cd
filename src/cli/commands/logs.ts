import { createInterface } from 'node:readline';
import type { LogLine } from '../../api/ops-schemas.js';
import { intOption, parseOptions, write, type Command } from '../command.js';
import { TARGET_HELP, TARGET_OPTIONS, apiFailure, apiRequest, readAll, resolveTarget } from '../api-client.js';

const help = `Usage: nucmesh logs --host H [--unit U] [--lines N] [--since S] [--follow] [--json]

Prints a node's log lines through its API: the journal where systemd runs, else the agent's
recent lines. Units: nucmesh (default), k3s, k3s-agent, kernel.

Options:
${TARGET_HELP}
  --unit U            nucmesh, k3s, k3s-agent or kernel.
  --lines N           At most N lines (default 200, 1 to 5000).
  --since S           How far back: 30s, 15m, 2h, 1d, or an ISO time in UTC.
  --follow            Keep printing new lines until interrupted.
  --json              One JSON object a line.
  -h, --help          Show this help.
`;

const fmt = (l: LogLine, json: boolean): string => (json ? JSON.stringify(l) : `${l.time} ${l.unit}: ${l.message}`);

export const logsCommand: Command = {
  name: 'logs',
  summary: "print a node's log lines (through its API)",
  help,
  async run(argv, io) {
    const { values } = parseOptions(
      'logs',
      {
        ...TARGET_OPTIONS,
        unit: { type: 'string' },
        lines: { type: 'string' },
        since: { type: 'string' },
        follow: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      argv,
    );
    if (values.help) {
      write(io.stdout, help);
      return 0;
    }
    const t = await resolveTarget('logs', values, io.env, 'reader');
    const q = new URLSearchParams({ unit: (values['unit'] as string | undefined) ?? 'nucmesh' });
    q.set('lines', String(intOption('logs', 'lines', values['lines'], 1, 5000) ?? 200));
    if (values['since'] !== undefined) q.set('since', String(values['since']));
    const follow = values['follow'] === true;
    if (follow) q.set('follow', 'true');
    const json = values['json'] === true;
    const path = `/v1/logs?${q}`;
    const res = await apiRequest(t, path);
    if (res.statusCode !== 200) {
      const text = await readAll(res);
      throw apiFailure(path, res.statusCode ?? 0, JSON.parse(text || '{}'));
    }
    if (!follow) {
      const body = JSON.parse(await readAll(res)) as { lines: LogLine[] };
      for (const l of body.lines) write(io.stdout, fmt(l, json));
      return 0;
    }
    for await (const line of createInterface({ input: res })) {
      if (line.trim() !== '') write(io.stdout, fmt(JSON.parse(line) as LogLine, json));
    }
    return 0;
  },
};
