/**
 * Structured logging: JSON lines to stdout (the journal keeps them), human-readable
 * only when stdout is a terminal or NUCMESH_LOG_FORMAT=pretty asks for it.
 * Secrets never reach a log line: the fields that can hold one are redacted.
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
      return pino(base, pretty({ sync: true, colorize: true, ignore: 'pid,hostname,svc', destination: options.destination ?? 1 }));
    } catch {
      // Not installed (production image): fall back to JSON.
    }
  }
  return pino(base, options.destination ?? process.stdout);
}
