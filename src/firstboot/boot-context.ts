/** What the boot steps share: the agent's options they read, and what earlier steps found. */
import type { Logger } from '../log.js';
import type { Inventory } from './hardware/types.js';
import type { NodeIdentity } from './identity.js';

/** What the boot steps take from the agent's options. */
export interface BootOptions {
  /** A `nucmesh capture` directory to use instead of the live machine. */
  hardwareFrom?: string;
  /**
   * This is the node itself (the image's nucmesh.service): set the hostname from the
   * identity and draw the console banner. Off when the agent runs anywhere else.
   */
  applyHost?: boolean;
}

export interface BootContext {
  options: BootOptions;
  log: Logger;
  dataDir: string;
  /** Set by the `inventory` step. */
  inventory?: Inventory;
  /** Set by the `identity` step (derived on the first start, loaded on later ones). */
  identity?: NodeIdentity;
  /** Sets the machine's hostname (default: hostname.ts's applyHostname); tests pass their own. */
  setHostname?(name: string): Promise<void>;
}
