/** k3s' log lines (logrus' text format on a non-terminal, on stderr): `time="…" level=info msg="…"`. */
export type Level = 'debug' | 'info' | 'warning' | 'error' | 'fatal';

export function logLine(level: Level, msg: string): void {
  const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  process.stderr.write(`time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`);
}

export const log = {
  info: (m: string) => logLine('info', m),
  warn: (m: string) => logLine('warning', m),
  error: (m: string) => logLine('error', m),
  /** logrus.Fatal: the line, then exit status 1. */
  fatal(m: string): never {
    logLine('fatal', m);
    process.exit(1);
  },
};
