import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/log.js';
import { createEspWatch, type AgentHost } from '../../../src/agent/esp-watch.js';
import type { EspStatus } from '../../../src/firstboot/esp.js';

const UUID = '6f1e6a0c-3b6d-4c8e-9b1a-2f5d7e9a0c11';
const location = { partuuid: UUID, source: 'cmdline' as const, device: `/dev/disk/by-partuuid/${UUID}` };
const quiet = createLogger({ level: 'silent', format: 'json' });

function host(status: () => EspStatus, started: string[]): AgentHost {
  return {
    espStatus: async () => status(),
    mountedIsBootEsp: async () => true,
    startUnit: async (u) => void started.push(u),
    reboot: async () => {},
  };
}

test('a partition that is there but not mounted is mounted by the node (with --apply-host), not more than every 30 s', async () => {
  const started: string[] = [];
  let status: EspStatus = { present: false, location };
  const watch = createEspWatch({ host: host(() => status, started), log: quiet, applyHost: true });
  assert.deepEqual(await watch.look(), status);
  assert.deepEqual(started, [], 'nothing to mount while the device is not there');
  status = { present: true, location };
  await watch.look();
  await watch.look();
  assert.deepEqual(started, ['boot-efi.mount'], 'started once, not at every look');
  status = { present: true, location, mountedFrom: '/dev/sda1' };
  await watch.look();
  assert.equal(started.length, 1, 'a mounted partition is left alone');
});

test('without --apply-host the node never touches the mounts of the machine it runs on', async () => {
  const started: string[] = [];
  const watch = createEspWatch({
    host: host(() => ({ present: true, location }), started),
    log: quiet,
    applyHost: false,
  });
  await watch.look();
  assert.deepEqual(started, []);
});
