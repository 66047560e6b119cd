/**
 * Long-lived services the agent runs after the boot steps (discovery, API, ...).
 * Each start function returns its stop function.
 */
import type { BootContext } from './boot-steps.js';
import { startConsoleBanner } from './console/start-banner.js';
import { NodeState } from './node-state.js';
import { startNodeDiscovery } from '../discovery/node-discovery.js';
import { PACKAGE_VERSION } from '../version.js';

export type StopFn = () => Promise<void>;

export async function startServices(ctx: BootContext): Promise<StopFn[]> {
  const stops: StopFn[] = [];
  ctx.nodeState ??= new NodeState();
  // The console banner (the image's service only): model, serial, node ID, state, API URL.
  if (ctx.options.applyHost) stops.push(startConsoleBanner(ctx, ctx.nodeState));
  if (ctx.identity) {
    const d = await startNodeDiscovery({
      config: ctx.config,
      nodeId: ctx.identity.nodeId,
      hostname: ctx.identity.hostname,
      dataDir: ctx.dataDir,
      interfaces: ctx.options.interfaces,
      ...(ctx.options.apiPort !== undefined ? { apiPort: ctx.options.apiPort } : {}),
      state: ctx.nodeState,
      log: ctx.log,
      version: PACKAGE_VERSION,
    });
    ctx.discovery = d;
    stops.push(() => d.stop());
    // Booted and visible: looking for peers until election (next issue) decides.
    ctx.nodeState.set({ state: 'forming' });
  } else {
    ctx.log.warn('no node identity: discovery not started');
  }
  return stops;
}
