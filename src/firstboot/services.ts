/**
 * Long-lived services the agent runs after the boot steps (discovery, API, ...).
 * Each start function returns its stop function.
 */
import type { BootContext } from './boot-steps.js';

export type StopFn = () => Promise<void>;

export async function startServices(_ctx: BootContext): Promise<StopFn[]> {
  const stops: StopFn[] = [];
  return stops;
}
