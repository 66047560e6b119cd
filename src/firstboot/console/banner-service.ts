/**
 * Keeps the console banner current: draws it at start, redraws at once when the node
 * state changes, and checks every few seconds for new addresses (DHCP, link-local),
 * redrawing only when the text changed (quiet consoles, no flicker).
 */
import type { Logger } from '../../log.js';
import { renderBanner, type BannerInfo } from './banner.js';

/** What the banner needs of the agent's state holder (NodeState satisfies it). */
export interface StateSource {
  readonly current: { state: string; clusterId?: string; detail?: string; step?: string };
  on(event: 'change', listener: () => void): unknown;
  off(event: 'change', listener: () => void): unknown;
}

export interface BannerServiceDeps {
  /** Gathers everything but the state (addresses and disk change over time). */
  collect(): Promise<Omit<BannerInfo, 'state' | 'detail' | 'cluster'>>;
  /** Draws the text on the consoles. */
  draw(text: string): Promise<void>;
  state: StateSource;
  log: Logger;
  pollMs?: number;
}

export function startBannerService(deps: BannerServiceDeps): () => Promise<void> {
  let last = '';
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const refresh = (): Promise<void> => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const { state, clusterId, detail, step } = deps.state.current;
        const shown = step !== undefined ? `${state} (step: ${step})` : state;
        const text = renderBanner({
          ...(await deps.collect()),
          state: shown,
          ...(clusterId ? { cluster: clusterId } : {}),
          ...(detail !== undefined ? { detail } : {}),
        });
        if (text === last) return;
        last = text;
        await deps.draw(text);
        deps.log.debug('console banner redrawn');
      } catch (err) {
        deps.log.warn({ err }, 'console banner: could not redraw');
      }
    });
    return running;
  };
  const onChange = () => void refresh();
  deps.state.on('change', onChange);
  const timer = setInterval(onChange, deps.pollMs ?? 5000);
  timer.unref();
  void refresh();
  return async () => {
    stopped = true;
    clearInterval(timer);
    deps.state.off('change', onChange);
    await running;
  };
}
