/** Options of `nucmesh agent`, shared by the CLI and the tests that run agents in-process. */
export interface AgentOptions {
  /** Fleet config file. */
  fleetFile: string;
  /** Persistent state: identity, boot progress, advert generation. */
  dataDir: string;
  /** A `nucmesh capture` directory to use instead of the live machine. */
  hardwareFrom?: string;
  /** Interfaces to use; empty means every physical interface (or the fleet config's list). */
  interfaces: string[];
  /** API port; overrides the fleet config's api.port. */
  apiPort?: number;
  /**
   * This is the node itself (the image's nucmesh.service): set the hostname from the
   * identity and draw the console banner. Off when the agent runs anywhere else.
   */
  applyHost?: boolean;
  /** Console devices for the banner (with applyHost). */
  bannerTtys?: string[];
}

export const DEFAULT_BANNER_TTYS = ['/dev/tty1', '/dev/ttyS0'];

export const DEFAULT_DATA_DIR = '/var/lib/nucmesh';

/** Where the agent looks for the fleet config when --fleet is not given, in order. */
export const DEFAULT_FLEET_PATHS = ['/boot/efi/nucmesh/fleet.yaml', '/etc/nucmesh/fleet.yaml'];
