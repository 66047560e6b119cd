/**
 * The API's log lines: from the journal (`journalctl -o json`) where systemd runs, else from
 * the agent's own recent lines kept in memory (log.ts LogRing; only the nucmesh unit then).
 * Unit names come from a fixed list (the route's schema checks them too); nothing from the
 * request is passed to journalctl but those names, a bounded line count and a checked time.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LogRing, RingLine } from '../log.js';
import type { LogStream } from '../api/app.js';
import type { LogLine, LogUnit } from '../api/ops-schemas.js';

export interface LogQuery {
  unit: LogUnit;
  lines: number;
  follow: boolean;
  since?: string;
}

/** journalctl's selection for each unit the API offers. */
export const JOURNAL_UNITS: Record<LogUnit, string[]> = {
  nucmesh: ['-u', 'nucmesh.service'],
  k3s: ['-u', 'k3s.service'],
  'k3s-agent': ['-u', 'k3s-agent.service'],
  kernel: ['-k'],
};

/** `15m` or an ISO time in UTC, as journalctl's --since takes it. */
export function journalSince(since: string): string {
  const rel = /^([0-9]+)([smhd])$/.exec(since);
  if (rel) return `-${rel[1]}${{ s: 's', m: 'min', h: 'h', d: 'd' }[rel[2] as 's']}`;
  return since.replace('T', ' ').replace(/(\.[0-9]+)?Z$/, ' UTC');
}

export function journalArgs(q: LogQuery): string[] {
  const args = ['-o', 'json', '--no-pager', '-n', String(q.lines), ...JOURNAL_UNITS[q.unit]];
  if (q.since !== undefined) args.push(`--since=${journalSince(q.since)}`);
  if (q.follow) args.push('-f');
  return args;
}

/** One journal JSON entry as a log line; undefined when it is not one. */
export function journalLine(text: string, unit: LogUnit): LogLine | undefined {
  try {
    const e = JSON.parse(text) as Record<string, unknown>;
    const us = Number(e['__REALTIME_TIMESTAMP']);
    let message = e['MESSAGE'];
    if (Array.isArray(message)) message = Buffer.from(message as number[]).toString('utf8');
    if (typeof message !== 'string') return undefined;
    const priority = Number(e['PRIORITY']);
    return {
      time: new Date(Number.isFinite(us) ? us / 1000 : Date.now()).toISOString(),
      unit,
      ...(Number.isInteger(priority) && priority >= 0 && priority <= 7 ? { priority } : {}),
      message,
    };
  } catch {
    return undefined;
  }
}

/** pino levels to syslog priorities. */
const PRIORITY: [number, number][] = [
  [60, 2],
  [50, 3],
  [40, 4],
  [30, 6],
  [0, 7],
];
function ringLine(l: RingLine): LogLine {
  const priority = PRIORITY.find(([lvl]) => l.level >= lvl)?.[1] ?? 6;
  return { time: l.time, unit: 'nucmesh', priority, message: l.component ? `${l.component}: ${l.msg}` : l.msg };
}

function sinceMs(since: string | undefined, now: number): number {
  if (since === undefined) return 0;
  const rel = /^([0-9]+)([smhd])$/.exec(since);
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[rel[2] as 's'];
  return Date.parse(since);
}

export function memoryLogs(ring: LogRing | undefined, q: LogQuery): LogStream {
  const from = sinceMs(q.since, Date.now());
  const past = q.unit === 'nucmesh' && ring ? ring.lines().filter((l) => Date.parse(l.time) >= from) : [];
  const first = past.slice(-q.lines).map(ringLine);
  if (!q.follow || !ring || q.unit !== 'nucmesh') {
    return {
      source: 'memory',
      lines: (async function* () {
        yield* first;
      })(),
      close: () => undefined,
    };
  }
  const queue: LogLine[] = [...first];
  let wake: (() => void) | undefined;
  let closed = false;
  const stop = ring.follow((l) => {
    queue.push(ringLine(l));
    if (queue.length > 10_000) queue.shift();
    wake?.();
  });
  async function* lines(): AsyncGenerator<LogLine> {
    while (!closed) {
      const next = queue.shift();
      if (next) yield next;
      else await new Promise<void>((r) => (wake = r));
    }
  }
  return {
    source: 'memory',
    lines: lines(),
    close() {
      closed = true;
      stop();
      wake?.();
    },
  };
}

export function journalLogs(q: LogQuery): LogStream {
  const child = spawn('journalctl', journalArgs(q), { stdio: ['ignore', 'pipe', 'ignore'] });
  child.on('error', () => undefined);
  const rl = createInterface({ input: child.stdout });
  async function* lines(): AsyncGenerator<LogLine> {
    for await (const text of rl) {
      const l = journalLine(text, q.unit);
      if (l) yield l;
    }
  }
  return {
    source: 'journal',
    lines: lines(),
    close() {
      rl.close();
      child.kill();
    },
  };
}

/** The journal where systemd runs (and journalctl is there), else the agent's memory. */
export function createLogSource(ring: LogRing | undefined, hasJournal = existsSync('/run/systemd/system')) {
  return (q: LogQuery): Promise<LogStream> => Promise.resolve(hasJournal ? journalLogs(q) : memoryLogs(ring, q));
}
