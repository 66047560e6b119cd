/** Options of `nucmesh agent`, shared by the CLI and the tests that run agents in-process. */
import type { BootOptions } from '../firstboot/boot-steps.js';

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
  /** How k3s runs: through its systemd units (the image) or as a supervised child (containers, tests). */
  k3sMode?: 'systemd' | 'child';
  /** The k3s executable (default /usr/local/bin/k3s). */
  k3sBin?: string;
  /** k3s' config file (default /etc/rancher/k3s/config.yaml); nucmesh's drop-in goes to `<file>.d/`. */
  k3sConfig?: string;
  /** k3s' data dir (default /var/lib/rancher/k3s). */
  k3sDataDir?: string;
  /** The admin kubeconfig k3s writes on servers (default /etc/rancher/k3s/k3s.yaml). */
  k3sKubeconfig?: string;
}

export const DEFAULT_BANNER_TTYS = ['/dev/tty1', '/dev/ttyS0'];

export const DEFAULT_DATA_DIR = '/var/lib/nucmesh';

/** Where the agent looks for the fleet config when --fleet is not given, in order. */
export const DEFAULT_FLEET_PATHS = ['/boot/efi/nucmesh/fleet.yaml', '/etc/nucmesh/fleet.yaml'];

/** API address before the fleet config says otherwise (the fleet schema's defaults). */
export const DEFAULT_API = { bind: '0.0.0.0', port: 8443 } as const;

export function fleetCandidates(o: Pick<AgentOptions, 'fleetFile'>): string[] {
  return o.fleetFile !== undefined ? [o.fleetFile] : [...DEFAULT_FLEET_PATHS];
}
