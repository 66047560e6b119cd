/**
 * What every `nucmesh` subcommand is: a name, a one-line summary for `nucmesh --help`,
 * a full help text, and `run`, which returns the exit code (0 ok, 1 failure, 2 usage).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  summary: string;
  /** Full `nucmesh <name> --help` text. */
  help: string;
  run(argv: string[], io: Io): Promise<number>;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with usage errors turned into UsageError (exit 2) that say which option
 * was wrong. `--help` is always accepted and reported as `help: true`.
 */
export function parseOptions<O extends OptionSpec>(
  command: string,
  options: O,
  argv: string[],
  allowPositionals = false,
): {
  values: Record<string, string | boolean | string[] | boolean[] | undefined> & { help?: boolean };
  positionals: string[];
} {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    return { values: parsed.values as never, positionals: parsed.positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e);
    throw new UsageError(`nucmesh ${command}: ${msg}. See 'nucmesh ${command} --help'.`);
  }
}

/** An integer option within bounds, or a UsageError naming the option. */
export function intOption(command: string, name: string, raw: unknown, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `nucmesh ${command}: --${name} must be a whole number from ${min} to ${max}, got '${String(raw)}'`,
    );
  }
  return n;
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : text + '\n');
}
