/**
 * Structured logging: JSON lines to stdout (the journal keeps them), human-readable
 * only when stdout is a terminal or NUCMESH_LOG_FORMAT=pretty asks for it.
 * Secrets never reach a log line: the fields that can hold one are redacted.
 * Every line has `svc: "nucmesh"`; a part of nucmesh logs through `componentLogger(log, name)`,
 * which adds one `component` field (pino writes a child's bindings after its parent's, so a
 * key bound twice would appear twice in one JSON line).
 */
import { Writable } from 'node:stream';
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
  'config.api.ca',
  'ca.key',
  'req.headers.authorization',
];

export interface LogOptions {
  level?: LevelWithSilent;
  /** 'json' (default off a TTY) or 'pretty' (default on a TTY). */
  format?: 'json' | 'pretty';
  /** Where lines go; defaults to stdout. Tests pass a stream to capture them. */
  destination?: NodeJS.WritableStream;
  /** Also keep the recent lines here (for the API's logs route where there is no journal). */
  ring?: LogRing;
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
  const out = options.destination ?? process.stdout;
  if (options.ring) return pino(base, pino.multistream([{ stream: out }, { stream: options.ring }]));
  return pino(base, out);
}

/** One remembered log line: its time (ISO), pino level, message and component. */
export interface RingLine {
  time: string;
  level: number;
  msg: string;
  component?: string;
}

/**
 * The most recent log lines (JSON lines as pino writes them, already redacted), in memory,
 * at most `capacity`; listeners hear each new one (for following).
 */
export class LogRing extends Writable {
  readonly #lines: RingLine[] = [];
  readonly #listeners = new Set<(l: RingLine) => void>();
  constructor(private readonly capacity = 2000) {
    super({ decodeStrings: false });
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    for (const text of String(chunk).split('\n')) {
      if (text.trim() === '') continue;
      try {
        const o = JSON.parse(text) as { time?: number; level?: number; msg?: string; component?: string };
        const line: RingLine = {
          time: new Date(o.time ?? Date.now()).toISOString(),
          level: o.level ?? 30,
          msg: o.msg ?? '',
          ...(o.component !== undefined ? { component: o.component } : {}),
        };
        this.#lines.push(line);
        if (this.#lines.length > this.capacity) this.#lines.shift();
        for (const l of this.#listeners) l(line);
      } catch {
        // Not a JSON line: not ours.
      }
    }
    done();
  }
  lines(): readonly RingLine[] {
    return this.#lines;
  }
  /** Hear each new line; returns how to stop. */
  follow(fn: (l: RingLine) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
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
