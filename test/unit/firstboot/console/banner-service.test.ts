import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startBannerService, type StateSource } from '../../../../src/firstboot/console/banner-service.js';
import type { BannerInfo } from '../../../../src/firstboot/console/banner.js';
import { CLEAR_SCREEN, framedForDevice, writeToConsoles } from '../../../../src/firstboot/console/console-writer.js';
import { parseBanners } from '../../../vm/helpers/banner-parse.js';

class TestState extends EventEmitter implements StateSource {
  current: StateSource['current'] = { state: 'booting' };
  set(state: string, more: { detail?: string; step?: string } = {}) {
    this.current = { state, ...more };
    this.emit('change');
  }
}

const base: Omit<BannerInfo, 'state'> = {
  version: '0.1.0',
  model: 'NUC',
  serial: 'S1',
  nodeId: null,
  hostname: 'nuc-1',
  addresses: [],
  apiPort: 8443,
};
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not met within 2 s');
};

describe('banner service', () => {
  it('draws at start, redraws on a state change and on new addresses, never the same text twice', async () => {
    const state = new TestState();
    let info = { ...base };
    const drawn: string[] = [];
    const stop = startBannerService({
      collect: async () => info,
      draw: async (t) => void drawn.push(t),
      state,
      log: pino({ level: 'silent' }),
      pollMs: 20,
    });
    await until(() => drawn.length === 1);
    assert.equal(parseBanners(drawn[0] ?? '')[0]?.fields['State'], 'booting');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(drawn.length, 1, 'polling with nothing changed draws nothing');
    state.set('forming');
    await until(() => drawn.length === 2);
    assert.equal(parseBanners(drawn[1] ?? '')[0]?.fields['State'], 'forming');
    info = { ...base, addresses: [{ iface: 'enp1s0', address: '10.0.0.7', family: 'IPv4' }] };
    await until(() => drawn.length === 3);
    assert.deepEqual(parseBanners(drawn[2] ?? '')[0]?.ips, ['10.0.0.7 (enp1s0)']);
    await stop();
    state.set('server');
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(drawn.length, 3, 'nothing is drawn after stop');
    assert.equal(state.listenerCount('change'), 0);
  });

  it('shows the boot step under way, and why the node is blocked, wrapped under the state', async () => {
    const state = new TestState();
    const drawn: string[] = [];
    const stop = startBannerService({
      collect: async () => base,
      draw: async (t) => void drawn.push(t),
      state,
      log: pino({ level: 'silent' }),
      pollMs: 1000,
    });
    await until(() => drawn.length === 1);
    state.set('booting', { step: 'identity' });
    await until(() => drawn.length === 2);
    assert.equal(parseBanners(drawn[1] ?? '')[0]?.fields['State'], 'booting (step: identity)');
    const detail =
      'no fleet config at /boot/efi/nucmesh/fleet.yaml. Copy the fleet.yaml made by nucmesh fleet init to nucmesh/fleet.yaml on the EFI partition; the node goes on by itself';
    state.set('no-fleet-config', { detail });
    await until(() => drawn.length === 3);
    const b = parseBanners(drawn[2] ?? '')[0];
    assert.equal(b?.fields['State'], 'no-fleet-config');
    assert.equal(b?.fields['Why'], detail, 'the whole sentence, over several lines');
    assert.ok(
      (drawn[2] ?? '').split('\n').every((l) => l.length <= 72),
      'no line wider than the banner',
    );
    await stop();
  });

  it('keeps running when collecting fails', async () => {
    const state = new TestState();
    let fail = true;
    const drawn: string[] = [];
    const stop = startBannerService({
      collect: async () => {
        if (fail) throw new Error('statfs failed');
        return base;
      },
      draw: async (t) => void drawn.push(t),
      state,
      log: pino({ level: 'silent' }),
      pollMs: 20,
    });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(drawn.length, 0);
    fail = false;
    await until(() => drawn.length === 1);
    await stop();
  });
});

describe('console writer', () => {
  it('clears the screen on a VT, appends on a serial line, uses CRLF', () => {
    assert.equal(framedForDevice('/dev/tty1', 'a\nb'), `${CLEAR_SCREEN}a\r\nb\r\n`);
    assert.equal(framedForDevice('/dev/ttyS0', 'a\nb'), '\r\na\r\nb\r\n');
  });

  it('writes to every device it can and reports the others', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-console-'));
    try {
      const ok = path.join(dir, 'ttyS0');
      writeFileSync(ok, '');
      const missing = path.join(dir, 'no-such-dir', 'tty1');
      const results = await writeToConsoles([ok, missing], 'hello');
      assert.equal(readFileSync(ok, 'utf8'), '\r\nhello\r\n');
      assert.equal(results[0]?.error, undefined);
      assert.match(results[1]?.error ?? '', /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
