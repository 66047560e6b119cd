/**
 * The console banner as an agent service (only with --apply-host): live sources
 * (hostname, addresses, root disk) and the console devices of the node.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { Logger } from '../../log.js';
import { PACKAGE_VERSION } from '../../version.js';
import { collectBannerInfo, type BannerContext, type BannerSources } from './banner-info.js';
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

export interface ConsoleBannerOptions {
  devices: readonly string[];
  log: Logger;
  state: StateSource;
  /** Read at every redraw: the boot steps fill it in as they go. */
  context(): BannerContext;
}

export function startConsoleBanner(o: ConsoleBannerOptions): () => Promise<void> {
  const reported = new Set<string>();
  return startBannerService({
    collect: () => collectBannerInfo(o.context(), liveBannerSources),
    async draw(text) {
      for (const r of await writeToConsoles([...o.devices], text)) {
        if (r.error && !reported.has(r.device)) {
          reported.add(r.device);
          o.log.warn({ device: r.device, error: r.error }, `console banner: cannot write to ${r.device}`);
        }
      }
    },
    state: o.state,
    log: o.log,
  });
}
