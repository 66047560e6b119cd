/**
 * The k3s stand-in's entry point (tests only; see README.md): `k3s server|agent [flags]` as k3s parses
 * them (config.ts), checked as k3s checks them (options.ts), then the server or agent. Exits 1 with a
 * logrus fatal line on what k3s refuses; runs until SIGTERM/SIGINT like the real service.
 */
import { readFileSync } from 'node:fs';
import { effectiveFlags, K3sUsageError, str } from './config.js';
import { log } from './log.js';
import { agentOptions, K3sStartError, serverOptions } from './options.js';
import { runAgent } from './agent.js';
import { runServer } from './server.js';
import { stopChildren } from './parts.js';

export const VERSION = 'v1.31.4+k3s1';

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`k3s version ${VERSION} (stand-in)\n`);
    return;
  }
  if (command !== 'server' && command !== 'agent') {
    return log.fatal(`stand-in: unknown command ${command ?? '(none)'}: only server and agent are stood in for`);
  }
  let flags;
  try {
    flags = effectiveFlags(command, args, process.env, (m) => log.warn(m));
  } catch (e) {
    if (e instanceof K3sUsageError) log.fatal(e.message);
    throw e;
  }
  for (const [file, flag] of [
    ['token-file', 'token'],
    ['agent-token-file', 'agent-token'],
  ] as const)
    if (str(flags, file) !== '') flags.set(flag, readFileSync(str(flags, file), 'utf8').trim());
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.on(sig, () => {
      log.info(`Received ${sig}, shutting down`);
      // With the real parts: stop them by PID and wait (parts.ts); without, there is nothing to wait for.
      void stopChildren().finally(() => process.exit(0));
    });
  try {
    log.info(`Starting k3s ${VERSION} (stand-in)`);
    if (command === 'server') await runServer(serverOptions(flags, process.getuid?.() ?? 0));
    else await runAgent(agentOptions(flags));
  } catch (e) {
    if (e instanceof K3sStartError) log.fatal(e.message);
    throw e;
  }
}

main(process.argv.slice(2)).catch((e: Error) => log.fatal(e.stack ?? e.message));
