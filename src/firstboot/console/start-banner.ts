/**
 * The console banner as an agent service (only with --apply-host): live sources
 * (hostname, addresses, root disk) and the console devices of the node.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { BootContext } from '../boot-steps.js';
import { DEFAULT_BANNER_TTYS } from '../agent-options.js';
import { PACKAGE_VERSION } from '../../version.js';
import { collectBannerInfo, type BannerSources } from './banner-info.js';
import { startBannerService, type StateSource } from './banner-service.js';
import { writeToConsoles } from './console-writer.js';

export const liveBannerSources: BannerSources = {
  version: PACKAGE_VERSION,
  hostname: () => os.hostname(),
  networkInterfaces: () => os.networkInterfaces(),
  async rootFs() {
    try {
      const s = await fs.statfs('/');
      return { size: s.blocks * s.bsize, free: s.bavail * s.bsize };
    } catch {
      return undefined;
    }
  },
};

export function startConsoleBanner(ctx: BootContext, state: StateSource): () => Promise<void> {
  const devices = ctx.options.bannerTtys ?? DEFAULT_BANNER_TTYS;
  const reported = new Set<string>();
  return startBannerService({
    collect: () => collectBannerInfo(ctx, liveBannerSources),
    async draw(text) {
      for (const r of await writeToConsoles(devices, text)) {
        if (r.error && !reported.has(r.device)) {
          reported.add(r.device);
          ctx.log.warn({ device: r.device, error: r.error }, `console banner: cannot write to ${r.device}`);
        }
      }
    },
    state,
    log: ctx.log,
  });
}
