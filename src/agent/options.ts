/** Options of `nucmesh agent`, shared by the CLI and the tests that run agents in-process. */
import type { BootOptions } from '../firstboot/boot-steps.js';
import { K3S_DEFAULTS, type K3sMode } from '../cluster/k3s-driver.js';

/** How the agent runs k3s (`--k3s-*`); see src/cluster/k3s-driver.ts. */
export interface K3sAgentOptions {
  /** systemd (the image: k3s.service / k3s-agent.service) or child (containers, tests). */
  mode: K3sMode;
  /** The k3s executable (default /usr/local/bin/k3s); its absence is state k3s-missing. */
  bin: string;
  /** k3s' config file; nucmesh's drop-in goes to `<configFile>.d/` (default /etc/rancher/k3s/config.yaml). */
  configFile: string;
  /** k3s' data dir (default /var/lib/rancher/k3s). */
  dataDir: string;
  /** The admin kubeconfig a server writes (default /etc/rancher/k3s/k3s.yaml). */
  kubeconfig: string;
}

export const DEFAULT_K3S: K3sAgentOptions = { mode: 'systemd', ...K3S_DEFAULTS };
import type { LiveMode } from '../installer/facts.js';

export interface AgentOptions extends BootOptions {
  /** Fleet config file; without it the first of DEFAULT_FLEET_PATHS that exists. */
  fleetFile?: string;
  /** Persistent state: identity, boot progress, advert generation. */
  dataDir: string;
  /** Interfaces to use; empty means every physical interface (or the fleet config's list). */
  interfaces: string[];
  /** API port; overrides the fleet config's api.port. */
  apiPort?: number;
  /** Console devices for the banner (with applyHost). */
  bannerTtys?: string[];
  /** How often a missing or invalid fleet config is looked at again (default 2 s). */
  fleetPollMs?: number;
  /** How k3s is run; DEFAULT_K3S where not given. */
  k3s?: Partial<K3sAgentOptions>;
  /** How often the hardware is read again for the Node's labels once a member (default 300 s). */
  inventoryRefreshSeconds?: number;
  /** Booted from a nucmesh stick (live mode): install onto the internal disk first (with applyHost). */
  live?: LiveMode;
}

export function k3sOptionsOf(o: Pick<AgentOptions, 'k3s'>): K3sAgentOptions {
  return { ...DEFAULT_K3S, ...(o.k3s ?? {}) };
}

export const DEFAULT_BANNER_TTYS = ['/dev/tty1', '/dev/ttyS0'];

export const DEFAULT_DATA_DIR = '/var/lib/nucmesh';
/** The data dir on a stick in live mode: in RAM, so the next NUC inherits nothing. */
export const LIVE_DATA_DIR = '/run/nucmesh/state';

/** Where the agent looks for the fleet config when --fleet is not given, in order. */
export const DEFAULT_FLEET_PATHS = ['/boot/efi/nucmesh/fleet.yaml', '/etc/nucmesh/fleet.yaml'];

/** API address before the fleet config says otherwise (the fleet schema's defaults). */
export const DEFAULT_API = { bind: '0.0.0.0', port: 8443 } as const;

export function fleetCandidates(o: Pick<AgentOptions, 'fleetFile'>): string[] {
  return o.fleetFile !== undefined ? [o.fleetFile] : [...DEFAULT_FLEET_PATHS];
}
