/**
 * Structured logging: JSON lines to stdout (the journal keeps them), human-readable
 * only when stdout is a terminal or NUCMESH_LOG_FORMAT=pretty asks for it.
 * Secrets never reach a log line: the fields that can hold one are redacted.
 * Every line has `svc: "nucmesh"`; a part of nucmesh logs through `componentLogger(log, name)`,
 * which adds one `component` field (pino writes a child's bindings after its parent's, so a
 * key bound twice would appear twice in one JSON line).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createRequire } from 'node:module';

export type { Logger };

export const REDACTED_PATHS = [
  'key',
  'token',
  'secret',
  'password',
  '*.key',
  '*.token',
  '*.tokens',
  '*.secret',
  '*.password',
  '*.fleetKey',
  'fleet.key',
  'config.key',
  'config.api.tokens',
  'headers.authorization',
  'req.headers.authorization',
];

export interface LogOptions {
  level?: LevelWithSilent;
  /** 'json' (default off a TTY) or 'pretty' (default on a TTY). */
  format?: 'json' | 'pretty';
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  destination?: NodeJS.WritableStream;
}

export function chooseFormat(env: NodeJS.ProcessEnv, isTty: boolean): 'json' | 'pretty' {
  const wanted = env['NUCMESH_LOG_FORMAT'];
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  return isTty ? 'pretty' : 'json';
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? (process.env['NUCMESH_LOG_LEVEL'] as LevelWithSilent | undefined) ?? 'info';
  const format = options.format ?? chooseFormat(process.env, Boolean(process.stdout.isTTY));
  const base = {
    level,
    base: { svc: 'nucmesh' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (format === 'pretty') {
    // pino-pretty is loaded only when asked for: the JSON path stays small.
    const require = createRequire(import.meta.url);
    try {
      const pretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
      return pino(
        base,
        pretty({ sync: true, colorize: true, ignore: 'pid,hostname,svc', destination: options.destination ?? 1 }),
      );
    } catch {
      // Not installed (production image): fall back to JSON.
    }
  }
  return pino(base, options.destination ?? process.stdout);
}

/** The logger each component logger was made from, and its component name. */
const componentOf = new WeakMap<Logger, { root: Logger; component: string }>();

/**
 * A logger for one part of nucmesh: its lines carry `component: name` once. Made from another
 * component's logger, it names the sub-part (`discovery.advertiser`) instead of adding a second
 * `component` key. The only way src/ makes child loggers.
 */
export function componentLogger(log: Logger, name: string): Logger {
  const parent = componentOf.get(log);
  const root = parent?.root ?? log;
  const component = parent ? `${parent.component}.${name}` : name;
  const child = root.child({ component });
  componentOf.set(child, { root, component });
  return child;
}
