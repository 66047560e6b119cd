/** Gathers the banner's data from the boot context and the live machine (I/O passed in). */
import type { NetworkInterfaceInfo } from 'node:os';
import type { BootContext } from '../boot-context.js';
import type { BannerInfo } from './banner.js';
import { bannerAddresses } from './addresses.js';

export interface BannerSources {
  version: string;
  hostname(): string;
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Size and free bytes of the root file system. */
  rootFs(): Promise<{ size: number; free: number } | undefined>;
}

/** "Intel(R) Client Systems NUC11TNHi5", with the platform's model name when it says more. */
export function modelText(ctx: Pick<BootContext, 'inventory'>): string | null {
  const inv = ctx.inventory;
  if (!inv) return null;
  const smbios = [inv.system.vendor, inv.system.product].filter((s): s is string => Boolean(s)).join(' ') || null;
  const platform = inv.platform.model;
  if (smbios && platform && !smbios.includes(platform)) return `${smbios} (${platform})`;
  return smbios ?? platform;
}

/** What the banner shows of the agent besides its state: who the node is, where its API is. */
export interface BannerContext extends Pick<BootContext, 'inventory' | 'identity'> {
  apiPort: number;
  /** Why the API is not listening, when it is not. */
  apiProblem?: string;
  progress?: string;
  headline?: { word: string; sentence: string };
}

export async function collectBannerInfo(
  ctx: BannerContext,
  src: BannerSources,
): Promise<Omit<BannerInfo, 'state' | 'detail'>> {
  const inv = ctx.inventory;
  const info: Omit<BannerInfo, 'state' | 'detail'> = {
    version: src.version,
    model: modelText(ctx),
    serial: inv ? (inv.system.serial ?? inv.board.serial) : null,
    nodeId: ctx.identity ? `${ctx.identity.nodeId} (from ${ctx.identity.source})` : null,
    hostname: src.hostname(),
    addresses: bannerAddresses(src.networkInterfaces()),
    apiPort: ctx.apiPort,
  };
  if (ctx.apiProblem) info.apiProblem = ctx.apiProblem;
  if (ctx.progress) info.progress = ctx.progress;
  if (ctx.headline) info.headline = ctx.headline;
  const rootFs = await src.rootFs();
  if (rootFs) info.rootFs = rootFs;
  return info;
}
