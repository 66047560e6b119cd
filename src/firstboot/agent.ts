/**
 * The node service (`nucmesh agent`): load and validate the fleet config, run the boot
 * steps (persisted, resumable), then run the long-lived services until told to stop.
 */
import { promises as fs } from 'node:fs';
import type { Logger } from '../log.js';
import { loadFleetConfig, fleetId, type FleetConfig } from '../config/fleet.js';
import { runSteps } from './steps.js';
import type { AgentOptions } from './agent-options.js';
import { bootSteps, type BootContext } from './boot-steps.js';
import { startServices } from './services.js';
import { NodeState } from './node-state.js';

export interface AgentHandle {
  ctx: BootContext;
  /** Stop every service, in reverse order of start. */
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions, log: Logger): Promise<AgentHandle> {
  const loaded = await loadFleetConfig(options.fleetFile);
  if (loaded.tooOpen) log.warn({ file: options.fleetFile }, 'fleet config is readable by other users; it holds secrets: chmod 600 it');
  const config: Readonly<FleetConfig> = loaded.config;
  log.info({ fleet: config.name, fleetId: fleetId(config.key), file: options.fleetFile }, 'fleet config loaded');
  await fs.mkdir(options.dataDir, { recursive: true, mode: 0o700 });

  const ctx: BootContext = { options, config, log, dataDir: options.dataDir, nodeState: new NodeState() };
  await runSteps(options.dataDir, bootSteps, ctx, {
    onStart: (step, attempt) => log.info({ step, attempt }, `boot step ${step}: start`),
    onSkip: (step) => log.info({ step }, `boot step ${step}: already done`),
    onDone: (step, ms) => log.info({ step, ms }, `boot step ${step}: done`),
    onFail: (step, err) => log.error({ step, err }, `boot step ${step}: failed`),
  });
  const stops = await startServices(ctx);
  return {
    ctx,
    async stop() {
      for (const stop of stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          log.warn({ err }, 'error while stopping a service');
        }
      }
    },
  };
}
