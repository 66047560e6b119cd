/**
 * `nucmesh` entry point: dispatches to subcommands, maps errors to exit codes
 * (0 ok, 1 failure, 2 usage) and prints expected errors without a stack trace.
 */
import { PACKAGE_VERSION } from '../version.js';
import { isNucmeshError } from '../errors.js';
import { write, type Io } from './command.js';
import { commands } from './commands/index.js';

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `nucmesh ${PACKAGE_VERSION}: turns fresh mini PCs into a self-assembling k3s cluster.

Usage: nucmesh <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  -h, --help     Show this help; 'nucmesh <command> --help' explains a command.
  -V, --version  Print the version.

Exit codes: 0 success, 1 failure (the message says what failed and what to do),
2 usage error (the message says what was wrong).
`;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0]) return main([rest[0], '--help'], io);
    write(first === undefined ? io.stderr : io.stdout, mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    write(io.stdout, PACKAGE_VERSION);
    return 0;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    write(
      io.stderr,
      `nucmesh: unknown command '${first}'. Commands: ${commands.map((c) => c.name).join(', ')}. See 'nucmesh --help'.`,
    );
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isNucmeshError(e)) {
      write(io.stderr, `nucmesh ${command.name}: ${e.message.replace(new RegExp(`^nucmesh ${command.name}: `), '')}`);
      return e.exitCode;
    }
    write(
      io.stderr,
      `nucmesh ${command.name}: internal error (a bug; please report it with this trace):\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    return 1;
  }
}
