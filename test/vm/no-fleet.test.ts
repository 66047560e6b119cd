/**
 * An image whose EFI partition has no fleet config: the node does not exit or restart. It
 * stays up in no-fleet-config, the banner says what to do, and once the file is copied onto
 * the ESP of the running VM (the probe plays the technician) it goes on without a reboot (to
 * k3s-missing: test images have no k3s).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vmTestsUnavailable } from './helpers/test-image.js';
import { vmSuite } from './helpers/fixture.js';
import { parseBanners } from './helpers/banner-parse.js';
import { nuc } from './helpers/nuc.js';
import { probeFiles, probeStatuses } from './helpers/probe.js';
import { imageWithoutFleet } from './helpers/image-variants.js';
import { END_STATE, waitForBannerState } from './helpers/boot-checks.js';

const skip = vmTestsUnavailable();

describe('image: no fleet config on the EFI partition', { skip }, () => {
  const suite = vmSuite('nofleet');

  it('shows no-fleet-config and what to do, then forms once the file is copied, without a restart', async () => {
    const image = imageWithoutFleet(suite.image(), suite.work);
    const t0 = Date.now();
    const vm = await suite.start({
      name: 'nofleet',
      image,
      boot: 'direct',
      smbios: nuc('G6TN55555555'),
      userNet: {},
      ...probeFiles(suite.work, suite.image().fleet),
    });
    const waiting = await waitForBannerState(vm, 'no-fleet-config', 300_000);
    console.log(`# boot to no-fleet-config banner: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.match(
      waiting.fields['Why'] ?? '',
      /no fleet config at \/boot\/efi\/nucmesh\/fleet\.yaml.*Copy .*nucmesh fleet init.* to nucmesh\/fleet\.yaml on the EFI partition; the node goes on by itself/,
    );
    assert.match(waiting.fields['Node ID'] ?? '', /^[0-9a-f]{32} /, 'the node still shows who it is');

    const copied = await vm.waitFor(/probe: fleet config copied/, 120_000);
    const mark = copied.index;
    assert.ok(
      parseBanners(vm.console().slice(0, mark)).some((b) => b.fields['State'] === 'no-fleet-config'),
      'the banner showed no-fleet-config before the file came',
    );
    const t1 = Date.now();
    const formed = await waitForBannerState(vm, END_STATE, 120_000, mark);
    console.log(`# file copied → ${END_STATE}: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    // The fleet config's reason is gone; the one shown now is the next stop's (no k3s in test images).
    assert.doesNotMatch(formed.fields['Why'] ?? '', /fleet config/, 'the fleet config reason is gone');
    assert.match(formed.fields['Why'] ?? '', /k3s executable is not installed/);
    const text = vm.console();
    assert.match(text.slice(mark), /"file":"\/boot\/efi\/nucmesh\/fleet\.yaml"[^\n]*"msg":"fleet config loaded"/);
    // The same process all along: one start, never restarted by systemd.
    assert.equal((text.match(/"msg":"agent running/g) ?? []).length, 1, 'the agent started more than once');
    const statuses = probeStatuses(text);
    assert.ok(statuses.length > 0, 'no probe status lines');
    assert.ok(
      statuses.every((s) => s.restarts === 0),
      'systemd restarted nucmesh.service',
    );
    assert.doesNotMatch(text, /nucmesh\.service: Main process exited/);
  });
});
