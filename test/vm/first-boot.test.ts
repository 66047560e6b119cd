/**
 * First boot on a 4 GiB disk grows root to fill it; a reboot (reset button, same disk)
 * keeps the node ID and redoes none of the first-boot work.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { vmTestsUnavailable } from './helpers/test-image.js';
import { vmSuite } from './helpers/fixture.js';
import { END_STATE, waitForBannerState } from './helpers/boot-checks.js';
import { assertBannerMatches, bannerNodeId, nuc } from './helpers/nuc.js';

const skip = vmTestsUnavailable();
const GiB = 1024 ** 3;

/** "root 3.8 GiB (3.1 GiB free)" → bytes of the root file system. */
function rootSize(disk: string | undefined): number {
  const m = /^root ([\d.]+) (MiB|GiB)/.exec(disk ?? '');
  assert.ok(m, `the banner shows no root disk size: '${disk}'`);
  return Number(m[1]) * (m[2] === 'GiB' ? GiB : 1024 ** 2);
}

describe('image: first boot grows root, a reboot redoes nothing', { skip }, () => {
  const suite = vmSuite('firstboot');
  const smbios = nuc('G6TN22222222', 'NUC12WSHi5');

  it('grows root to fill a 4 GiB disk, then keeps the node ID across a reset', async () => {
    const imageBytes = statSync(suite.image().img).size;
    assert.ok(imageBytes < 2 * GiB, 'the image itself is small');
    const vm = await suite.start({ name: 'firstboot', boot: 'direct', smbios, diskSize: '4G', userNet: {} });
    // The banner is up from the agent's start; the one of the end state has everything filled in.
    const first = await waitForBannerState(vm, END_STATE, 300_000);
    const { nodeId } = assertBannerMatches(first, smbios);
    const size = rootSize(first.fields['Disk']);
    assert.ok(size > 3.5 * GiB, `root is ${size} bytes: it did not grow to the 4 GiB disk`);
    const firstBoot = vm.console();
    assert.match(firstBoot, /"msg":"identity: node ID from system-serial, persisted"/);
    assert.match(firstBoot, /"msg":"boot step hostname: done"/);

    const mark = firstBoot.length;
    await vm.reset();
    await vm.waitFor(/Linux version/, 60_000, mark);
    const again = await waitForBannerState(vm, END_STATE, 300_000, mark);
    const second = vm.console().slice(mark);
    assert.equal(bannerNodeId(again).nodeId, nodeId, 'the node ID changed across a reboot');
    assert.equal(again.fields['Hostname'], first.fields['Hostname']);
    assert.ok(rootSize(again.fields['Disk']) > 3.5 * GiB);
    assert.match(second, /"msg":"boot step identity: already done"/);
    assert.match(second, /"msg":"boot step hostname: already done"/);
    assert.doesNotMatch(second, /"msg":"identity: node ID from/, 'the identity was derived again');
    assert.doesNotMatch(second, /"msg":"hostname: set to/, 'the hostname was set again');
  });
});
