/**
 * The fleet config as the agent waits for it: missing (nothing at any candidate path), invalid
 * (the first file found cannot be read or fails validation, naming the field), or loaded.
 * A node without a valid fleet config does not exit: it shows why (state, banner, health
 * route) and looks again every few seconds, so copying a good file onto the EFI partition
 * (or fixing the broken one) brings it on without a restart or reboot.
 */
import { existsSync } from 'node:fs';
import { loadFleetConfig, type LoadedFleetConfig } from '../config/fleet.js';
import { NucmeshError, ValidationError, errorMessage } from '../errors.js';
import type { NodeStateName } from '../node/node-state.js';
import { ESP_MOUNTPOINT, describeEsp, type EspStatus } from '../firstboot/esp.js';

export type FleetConfigStatus =
  | { kind: 'loaded'; loaded: LoadedFleetConfig }
  | { kind: 'missing'; looked: string[] }
  | { kind: 'invalid'; path: string; error: NucmeshError };

export interface FleetConfigReaders {
  exists(path: string): boolean;
  load(path: string): Promise<LoadedFleetConfig>;
}

export const liveFleetConfigReaders: FleetConfigReaders = { exists: existsSync, load: loadFleetConfig };

/**
 * The first candidate that exists decides: a broken file on the EFI partition is reported,
 * never silently passed over for the next candidate.
 */
export async function readFleetConfigStatus(
  candidates: readonly string[],
  read: FleetConfigReaders = liveFleetConfigReaders,
): Promise<FleetConfigStatus> {
  for (const path of candidates) {
    if (!read.exists(path)) continue;
    try {
      return { kind: 'loaded', loaded: await read.load(path) };
    } catch (e) {
      if (e instanceof NucmeshError) return { kind: 'invalid', path, error: e };
      throw e;
    }
  }
  return { kind: 'missing', looked: [...candidates] };
}

/** Whether one of the paths looked at is on the EFI partition (so its state is worth telling). */
export function looksOnEsp(looked: readonly string[]): boolean {
  return looked.some((p) => p.startsWith(`${ESP_MOUNTPOINT}/`));
}

const INIT_HINT = "the fleet.yaml made by 'nucmesh fleet init' (the same file on every node of the fleet)";

/** Where the ESP stands, in words, when the fleet config is expected on it. */
function espWords(esp: EspStatus | undefined): string | undefined {
  if (!esp) return undefined;
  if (!esp.location) return `the boot loader named no EFI partition and the kernel command line has no nucmesh.esp=`;
  const which = `EFI partition ${describeEsp(esp.location)}`;
  if (!esp.present) return `waiting for the ${which} to appear`;
  if (!esp.mountedFrom) return `the ${which} is there but not mounted at ${ESP_MOUNTPOINT} yet`;
  return undefined;
}

/** State and the sentence for banner, health route and log of a fleet config that is not loaded. */
export function describeFleetProblem(
  s: Exclude<FleetConfigStatus, { kind: 'loaded' }>,
  esp?: EspStatus,
): { state: NodeStateName; detail: string } {
  if (s.kind === 'invalid') {
    const e = s.error;
    const what =
      e instanceof ValidationError
        ? e.issues.map((i) => `${i.path}: ${i.message}`).join('; ')
        : errorMessage(e).replace(/\s*Create one with .*$/, '');
    return {
      state: 'bad-fleet-config',
      detail: `${s.path}: ${what}. Fix the file (check it with 'nucmesh fleet check FILE'); the node goes on by itself`,
    };
  }
  const onEsp = looksOnEsp(s.looked);
  const espNote = onEsp ? espWords(esp) : undefined;
  const where = onEsp ? `nucmesh/fleet.yaml on the EFI partition` : s.looked.join(' or ');
  const detail = `no fleet config at ${s.looked.join(', ')}${espNote ? ` (${espNote})` : ''}. Copy ${INIT_HINT} to ${where}; the node goes on by itself`;
  return { state: 'no-fleet-config', detail };
}

export interface FleetConfigWatch {
  /** Resolves with the fleet config once a valid one is there; rejects when stopped first. */
  loaded: Promise<LoadedFleetConfig>;
  stop(): void;
}

export interface WatchOptions {
  candidates: readonly string[];
  pollMs: number;
  read?: FleetConfigReaders;
  /** Called at every look (the caller tells people only what changed). */
  onStatus(status: FleetConfigStatus): void | Promise<void>;
}

/**
 * Polls the candidates until a valid config is there. Polling, not inotify: the file appears
 * when a partition is mounted over the watched directory, which inotify does not see.
 */
export function watchFleetConfig(o: WatchOptions): FleetConfigWatch {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let rejectLoaded: (e: Error) => void = () => {};
  const loaded = new Promise<LoadedFleetConfig>((resolve, reject) => {
    rejectLoaded = reject;
    const look = async (): Promise<void> => {
      if (stopped) return;
      try {
        const status = await readFleetConfigStatus(o.candidates, o.read);
        await o.onStatus(status);
        if (status.kind === 'loaded') return resolve(status.loaded);
      } catch (e) {
        return reject(e instanceof Error ? e : new Error(String(e)));
      }
      if (!stopped) timer = setTimeout(() => void look(), o.pollMs);
    };
    void look();
  });
  loaded.catch(() => {});
  return {
    loaded,
    stop() {
      stopped = true;
      clearTimeout(timer);
      rejectLoaded(new NucmeshError('E_STOPPED', 'stopped before a fleet config was loaded'));
    },
  };
}
