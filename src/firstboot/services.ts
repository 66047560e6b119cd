/**
 * Long-lived services the agent runs after the boot steps (discovery, API, ...).
 * Each start function returns its stop function.
 */
import type { BootContext } from './boot-steps.js';
import { fixedState, startConsoleBanner } from './console/start-banner.js';

export type StopFn = () => Promise<void>;

export async function startServices(ctx: BootContext): Promise<StopFn[]> {
  const stops: StopFn[] = [];
  // The console banner (image service only). TODO(merge): pass the agent's NodeState.
  if (ctx.options.applyHost) stops.push(startConsoleBanner(ctx, fixedState('booting')));
  return stops;
}
