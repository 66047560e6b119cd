/**
 * Loading, validating, creating and identifying fleet configs.
 * `parseFleetConfig` is pure (text in, frozen config or ValidationError out);
 * `loadFleetConfig` and `writeNewFleetConfig` are the thin file edges.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { parseDocument, stringify } from 'yaml';
import { NucmeshError, ValidationError, type ValidationIssue } from '../errors.js';
import { FleetConfigSchema, type FleetConfig } from './fleet-schema.js';

export type { FleetConfig };

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function typeboxIssues(doc: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const err of Value.Errors(FleetConfigSchema, doc)) {
    const path = err.path || '/';
    let message: string;
    if (err.type === ValueErrorType.ObjectAdditionalProperties) message = 'unknown key';
    else if (err.type === ValueErrorType.ObjectRequiredProperty)
      message = `required${err.schema.description ? `: ${err.schema.description}` : ''}`;
    else if (err.schema.description) message = `expected ${err.schema.description}`;
    else message = err.message.replace(/^Expected/, 'expected');
    // A required property that is missing is also reported as a type error at the same path.
    if ([...seen].some((s) => s.startsWith(`${path}\u0000`))) continue;
    seen.add(`${path}\u0000${message}`);
    issues.push({ path, message });
  }
  return issues;
}

function semanticIssues(cfg: FleetConfig): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const servers = serverCount(cfg);
  if (servers % 2 === 0)
    issues.push({ path: '/servers', message: `expected an odd number of servers for etcd quorum, got ${servers}` });
  if (Buffer.from(cfg.key, 'base64').length !== 32)
    issues.push({ path: '/key', message: 'expected 32 bytes of base64' });
  if (cfg.api.tokens.reader === cfg.api.tokens.admin)
    issues.push({ path: '/api/tokens/reader', message: 'the reader and admin tokens must differ' });
  return issues;
}

/** Parse and validate fleet config text. `source` names it in errors. */
export function parseFleetConfig(text: string, source = 'fleet config'): Readonly<FleetConfig> {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ValidationError(
      source,
      doc.errors.map((e) => ({ path: '/', message: `YAML: ${e.message.split('\n')[0] ?? e.code}` })),
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ValidationError(source, [{ path: '/', message: 'expected a YAML mapping' }]);
  }
  const withDefaults = Value.Default(FleetConfigSchema, structuredClone(raw));
  const issues = typeboxIssues(withDefaults);
  if (issues.length > 0) throw new ValidationError(source, issues);
  const cfg = withDefaults as FleetConfig;
  const more = semanticIssues(cfg);
  if (more.length > 0) throw new ValidationError(source, more);
  return deepFreeze(cfg);
}

export interface LoadedFleetConfig {
  config: Readonly<FleetConfig>;
  path: string;
  /** Set when the file can be read by group or others: it holds secrets. */
  tooOpen: boolean;
}

export async function loadFleetConfig(path: string): Promise<LoadedFleetConfig> {
  let text: string;
  let mode: number;
  try {
    const st = await fs.stat(path);
    mode = st.mode;
    text = await fs.readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new NucmeshError(
      'E_FLEET_READ',
      `cannot read fleet config ${path}: ${code ?? String(cause)}. Create one with 'nucmesh fleet init ${path}'.`,
      {
        data: { path },
        cause,
      },
    );
  }
  const config = parseFleetConfig(text, `fleet config ${path}`);
  return { config, path, tooOpen: (mode & 0o077) !== 0 };
}

function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

/** A new fleet config with fresh random secrets and every default spelled out. */
export function newFleetConfig(name: string): FleetConfig {
  const draft = {
    version: 1,
    name,
    key: randomBytes(32).toString('base64'),
    api: { tokens: { reader: randomToken(), admin: randomToken() } },
  };
  return parseFleetConfig(stringify(draft), 'new fleet config') as FleetConfig;
}

export function renderFleetConfig(cfg: FleetConfig): string {
  const header = [
    '# nucmesh fleet config. It holds the fleet key and the API tokens: keep it secret (mode 0600).',
    '# Every node of the fleet boots with the same file. Validate changes with: nucmesh fleet check FILE',
    '',
  ].join('\n');
  return header + stringify(structuredClone(cfg));
}

/** Write a new fleet config; refuses to overwrite an existing file. */
export async function writeNewFleetConfig(path: string, name: string): Promise<FleetConfig> {
  const cfg = newFleetConfig(name);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const hint =
      code === 'EEXIST' ? 'it already exists; remove it first or choose another path' : String(code ?? cause);
    throw new NucmeshError('E_FLEET_WRITE', `cannot create fleet config ${path}: ${hint}`, { data: { path }, cause });
  }
  try {
    await handle.writeFile(renderFleetConfig(cfg));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return cfg;
}

/** Default of `servers.replaceAfterSeconds`: five minutes, past a reboot or a kernel update of a NUC. */
export const DEFAULT_REPLACE_AFTER_SECONDS = 300;

/** The servers the cluster grows to (`servers` or `servers.count`). */
export function serverCount(cfg: Pick<FleetConfig, 'servers'>): number {
  return typeof cfg.servers === 'number' ? cfg.servers : cfg.servers.count;
}

/** How long a server's Node may be NotReady before it is replaced (`servers.replaceAfterSeconds`). */
export function replaceAfterSeconds(cfg: Pick<FleetConfig, 'servers'>): number {
  return typeof cfg.servers === 'number' ? DEFAULT_REPLACE_AFTER_SECONDS : cfg.servers.replaceAfterSeconds;
}
