/**
 * Writes the banner to console devices (/dev/tty1 for the screen, /dev/ttyS0 for the
 * serial console). A device that is missing is skipped; each failure is reported once.
 */
import { promises as fs } from 'node:fs';

/** Clear the screen and home the cursor: a refreshed banner replaces the old one on a monitor. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export interface ConsoleWriteResult {
  device: string;
  error?: string;
}

export function isSerialDevice(device: string): boolean {
  return /ttyS\d+$|ttyUSB\d+$|hvc\d+$/.test(device);
}

/** On screens the banner replaces the previous one; on serial lines it is appended (a log). */
export function framedForDevice(device: string, text: string): string {
  const body = text.replace(/\n/g, '\r\n') + '\r\n';
  return isSerialDevice(device) ? '\r\n' + body : CLEAR_SCREEN + body;
}

export async function writeToConsoles(devices: string[], text: string): Promise<ConsoleWriteResult[]> {
  return Promise.all(
    devices.map(async (device) => {
      try {
        const handle = await fs.open(device, 'w');
        try {
          await handle.write(framedForDevice(device, text));
        } finally {
          await handle.close();
        }
        return { device };
      } catch (e) {
        return { device, error: (e as Error).message };
      }
    }),
  );
}
