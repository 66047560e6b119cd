/**
 * Reading a k3s command line and its config files exactly as k3s does, and the flag checks k3s makes
 * before it starts anything.
 *
 * - pkg/configfilearg/defaultparser.go: the config file is `--config`/`-c`, else $K3S_CONFIG_FILE, else
 *   /etc/rancher/k3s/config.yaml; its values go right after the subcommand, so command-line flags follow
 *   them (a scalar given on the command line wins, a list flag gets both).
 * - pkg/configfilearg/parser.go readConfigFile: the file, then `<file>.d/*.yaml|*.yml` (case-insensitive
 *   suffix, os.ReadDir's name order); a key keeps its first position, its last value wins, `key+:` appends;
 *   a missing file with no drop-ins is no error (Parse returns the args unchanged on IsNotExist), a file
 *   that does not parse is. Every key becomes `--key=value`, a list one flag per item.
 * - parser.go stripInvalidFlags: a key that is no flag of the subcommand is skipped with the warning
 *   `Unknown flag --key found in config.yaml, skipping` (not an error).
 * - urfave/cli: an unknown command-line flag is an error, `flag provided but not defined: -name`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { AGENT_FLAGS, SERVER_FLAGS, type FlagSpec } from './flags.js';

export const DEFAULT_CONFIG = '/etc/rancher/k3s/config.yaml';

export class K3sUsageError extends Error {}

export type FlagValue = string | boolean | string[];
export type Flags = Map<string, FlagValue>;

export function flagTable(command: 'server' | 'agent'): Record<string, FlagSpec> {
  return command === 'server' ? SERVER_FLAGS : AGENT_FLAGS;
}

/** The config file k3s reads for these args (defaultparser.go / parser.go findConfigFileFlag). */
export function configFileOf(args: readonly string[], env: NodeJS.ProcessEnv): string {
  const fromEnv = env['K3S_CONFIG_FILE'];
  if (fromEnv) return fromEnv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    for (const name of ['--config', '-c']) {
      if (a === name) return args[i + 1] ?? '';
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
    }
  }
  return DEFAULT_CONFIG;
}

/** parser.go dotDFiles: regular files ending in .yaml or .yml (any case) in `<file>.d`, by name. */
export function dropInFiles(file: string): string[] {
  const dir = `${file}.d`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.isDirectory() && /\.ya?ml$/i.test(e.name))
    .map((e) => e.name)
    .sort()
    .map((n) => path.join(dir, n));
}

/** Go's convert.ToString of a YAML value. */
function goString(v: unknown): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

function valueOf(node: YamlNode | null | undefined): unknown {
  if (node === null || node === undefined) return null;
  if (isSeq(node)) return node.items.map((i) => valueOf(i as YamlNode));
  if (isScalar(node)) return node.value;
  return (node as { toJSON(): unknown }).toJSON();
}

/** parser.go readConfigFile: the merged `--key=value` list, or undefined when neither file nor drop-ins exist. */
export function readConfigFiles(file: string): string[] | undefined {
  const files = dropInFiles(file);
  let baseExists = false;
  try {
    statSync(file);
    baseExists = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (!baseExists && files.length === 0) return undefined;
  if (baseExists) files.unshift(file);
  const order: string[] = [];
  const values = new Map<string, unknown>();
  for (const f of files) {
    const doc = parseDocument(readFileSync(f, 'utf8'), { uniqueKeys: false });
    if (doc.errors.length > 0) throw new K3sUsageError(`yaml: ${doc.errors[0]?.message ?? 'parse error'} (${f})`);
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    if (!isMap(contents)) throw new K3sUsageError(`yaml: unmarshal errors: cannot unmarshal ${f} into yaml.MapSlice`);
    for (const pair of contents.items) {
      let key = goString(valueOf(pair.key as YamlNode));
      const append = key.endsWith('+');
      if (append) key = key.slice(0, -1);
      if (!values.has(key) && !order.includes(key)) order.push(key);
      const v = valueOf(pair.value as YamlNode);
      const old = values.get(key);
      if (append && values.has(key)) values.set(key, [...toSlice(old), ...toSlice(v)]);
      else values.set(key, v);
    }
  }
  const out: string[] = [];
  for (const key of order) {
    const prefix = key.length === 1 ? '-' : '--';
    const v = values.get(key);
    if (Array.isArray(v)) for (const item of v) out.push(`${prefix}${key}=${goString(item)}`);
    else out.push(`${prefix}${key}=${goString(v)}`);
  }
  return out;
}

/** parser.go toSlice. */
function toSlice(v: unknown): unknown[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v;
  const s = goString(v).trim();
  return s === '' ? [] : [s];
}

/** parser.go stripInvalidFlags: keys the command does not know are dropped, each with k3s' warning. */
export function stripInvalidFlags(command: 'server' | 'agent', args: string[], warn: (m: string) => void): string[] {
  const table = flagTable(command);
  const valid = new Set<string>();
  for (const [name, spec] of Object.entries(table)) {
    valid.add(name);
    if (spec.alias) valid.add(spec.alias);
  }
  return args.filter((arg) => {
    const m = /^-+([^=]*)=/.exec(arg);
    const name = m ? (m[1] as string) : arg;
    if (valid.has(name)) return true;
    warn(`Unknown flag ${arg.split('=')[0]} found in config.yaml, skipping`);
    return false;
  });
}

/** urfave/cli flag parsing: scalars last-wins, list flags accumulate, `--bool` or `--bool=true|false`. */
export function parseFlags(command: 'server' | 'agent', args: readonly string[]): Flags {
  const table = flagTable(command);
  const byAlias = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) if (spec.alias) byAlias.set(spec.alias, name);
  const flags: Flags = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const m = /^(-{1,2})([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new K3sUsageError(`unexpected argument: ${arg}`);
    const raw = m[2] as string;
    const name = table[raw] ? raw : byAlias.get(raw);
    const spec = name ? table[name] : undefined;
    if (!name || !spec) throw new K3sUsageError(`flag provided but not defined: -${raw}`);
    let value: string | undefined = m[3];
    if (spec.kind === 'bool') {
      if (value !== undefined && !/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(value))
        throw new K3sUsageError(`invalid boolean value "${value}" for -${raw}`);
      flags.set(name, value === undefined || /^(true|1|t|TRUE|True)$/.test(value));
      continue;
    }
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new K3sUsageError(`flag needs an argument: -${raw}`);
    }
    if (spec.kind === 'list') {
      const prev = flags.get(name);
      flags.set(name, [...(Array.isArray(prev) ? prev : []), value]);
    } else flags.set(name, value);
  }
  return flags;
}

/** The effective flags of `k3s <command> <args>`: config values first, then the command line. */
export function effectiveFlags(
  command: 'server' | 'agent',
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  warn: (m: string) => void,
): Flags {
  const file = configFileOf(args, env);
  const fromFile = file === '' ? undefined : readConfigFiles(file);
  const fileArgs = fromFile === undefined ? [] : stripInvalidFlags(command, fromFile, warn);
  return parseFlags(command, [...fileArgs, ...args]);
}

/** A flag's string value. */
export function str(flags: Flags, name: string, fallback = ''): string {
  const v = flags.get(name);
  return typeof v === 'string' ? v : fallback;
}

export function bool(flags: Flags, name: string): boolean {
  return flags.get(name) === true;
}

/** A list flag, with comma-separated items split as k3s' util.SplitStringSlice does. */
/** A list flag's items as given (no comma split: component args such as feature-gates=A=true,B=true). */
export function items(flags: Flags, name: string): string[] {
  const v = flags.get(name);
  return Array.isArray(v) ? v.filter((s) => s !== '') : [];
}

export function list(flags: Flags, name: string): string[] {
  const v = flags.get(name);
  const items = Array.isArray(v) ? v : [];
  return items
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
