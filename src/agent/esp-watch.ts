/**
 * The agent's side of the EFI partition it booted from (found by partition UUID, see
 * firstboot/esp.ts): one log line at start saying which partition it is and whether it is
 * mounted, and, while the fleet config is missing, where the partition stands, mounting it
 * (with --apply-host) when its device is there but nothing mounted it (for a device that
 * appears late, systemd's .wants link started the mount in one run of test/vm/late-esp.test.ts
 * and not in another).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';
import {
  ESP_MOUNT_UNIT,
  ESP_MOUNTPOINT,
  describeEsp,
  espStatus,
  liveEspReaders,
  locateEsp,
  mountedIsBootEsp,
  type EspLocation,
  type EspStatus,
} from '../firstboot/esp.js';

/** What the agent asks of the machine beyond files it reads: the ESP and systemd. */
export interface AgentHost {
  espStatus(): Promise<EspStatus>;
  mountedIsBootEsp(s: EspStatus): Promise<boolean>;
  /** `systemctl start --no-block UNIT` (only with --apply-host). */
  startUnit(unit: string): Promise<void>;
  /** `systemctl reboot` (the installer, once the internal disk is ready). */
  reboot(): Promise<void>;
}

const run = promisify(execFile);
// The loader's variable and the command line do not change during a boot: read them once.
let located: Promise<EspLocation | undefined> | undefined;

export const liveAgentHost: AgentHost = {
  espStatus: () => espStatus(liveEspReaders, (located ??= locateEsp())),
  mountedIsBootEsp: (s) => mountedIsBootEsp(s),
  async startUnit(unit) {
    await run('systemctl', ['start', '--no-block', unit], { timeout: 10_000 });
  },
  async reboot() {
    await run('systemctl', ['reboot'], { timeout: 30_000 });
  },
};

/** A present but unmounted ESP is mounted again at most this often. */
export const ESP_MOUNT_RETRY_MS = 30_000;

export interface EspWatch {
  /** Logs which partition this boot came from and whether /boot/efi holds it. */
  logAtStart(): Promise<void>;
  /** Where the ESP stands now; starts its mount when it is there but not mounted (--apply-host). */
  look(): Promise<EspStatus>;
}

export function createEspWatch(o: { host: AgentHost; log: Logger; applyHost: boolean }): EspWatch {
  const { host, log } = o;
  let lastMountAttempt = -Infinity;
  return {
    async logAtStart() {
      const esp = await host.espStatus();
      if (!esp.location) return log.info('EFI partition: not named by the boot loader or the kernel command line');
      const where = describeEsp(esp.location);
      const fields = { partuuid: esp.location.partuuid, source: esp.location.source, present: esp.present };
      const withMount = { ...fields, mountedFrom: esp.mountedFrom ?? null };
      if (!esp.mountedFrom) return log.info(withMount, `EFI partition: ${where}, not mounted at ${ESP_MOUNTPOINT} yet`);
      if (await host.mountedIsBootEsp(esp))
        return log.info(withMount, `EFI partition: ${where}, mounted at ${ESP_MOUNTPOINT}`);
      log.warn(
        withMount,
        `${ESP_MOUNTPOINT} holds ${esp.mountedFrom}, not the EFI partition this node booted from (${where})`,
      );
    },
    async look() {
      const esp = await host.espStatus();
      const due = performance.now() - lastMountAttempt > ESP_MOUNT_RETRY_MS;
      if (esp.location && esp.present && !esp.mountedFrom && o.applyHost && due) {
        lastMountAttempt = performance.now();
        log.info(
          { partuuid: esp.location.partuuid },
          `EFI partition ${describeEsp(esp.location)} is there but not mounted: starting ${ESP_MOUNT_UNIT}`,
        );
        await host
          .startUnit(ESP_MOUNT_UNIT)
          .catch((err: unknown) => log.warn({ err: errorMessage(err) }, `cannot start ${ESP_MOUNT_UNIT}`));
      }
      return esp;
    },
  };
}
