/**
 * The EFI partition appears long after boot (a slow USB stick, a slow udev): the node shows
 * that it waits for that partition, named by its partition UUID, and goes on by itself once
 * the partition is there, with no device timeout deciding anything. Direct-kernel boot told
 * (nucmesh.esp= on the command line) to use the ESP of a stick that is plugged in only after
 * the banner said so.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { vmTestsUnavailable } from './helpers/test-image.js';
import { vmSuite } from './helpers/fixture.js';
import { nuc } from './helpers/nuc.js';
import { stickCopy } from './helpers/image-variants.js';
import { END_STATE, assertEspNotRaced, waitForBannerState } from './helpers/boot-checks.js';

const skip = vmTestsUnavailable();

describe('image: an EFI partition that appears late', { skip }, () => {
  const suite = vmSuite('late-esp');

  it('waits for the named partition, then mounts it and forms without a timeout or restart', async () => {
    const image = suite.image();
    const stick = stickCopy(image, suite.work, readFileSync(image.fleet, 'utf8'));
    const vm = await suite.start({
      name: 'late-esp',
      boot: 'direct',
      smbios: nuc('G6TN66666666'),
      userNet: {},
      usbController: true,
      append: `nucmesh.esp=PARTUUID=${stick.espPartUuid}`,
    });
    const waiting = await waitForBannerState(vm, 'no-fleet-config', 300_000);
    assert.match(
      waiting.fields['Why'] ?? '',
      new RegExp(
        `waiting for the EFI partition PARTUUID=${stick.espPartUuid} \\(from the kernel command line\\) to appear`,
      ),
    );
    // Long past systemd's 90 s default device timeout, had a job waited for the partition.
    await new Promise((r) => setTimeout(r, 95_000));
    const mark = vm.console().length;
    const t0 = Date.now();
    await vm.plugUsbStick(stick.img);
    const formed = await waitForBannerState(vm, END_STATE, 180_000, mark);
    console.log(`# stick plugged in → ${END_STATE}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(formed);
    const text = vm.console();
    assertEspNotRaced(text, stick.espPartUuid, 'cmdline');
    const byAgent = /is there but not mounted: starting boot-efi\.mount/.test(text);
    console.log(
      `# mounted by ${byAgent ? 'the agent (systemctl start boot-efi.mount)' : "systemd, when the device appeared (the generator's .wants link)"}`,
    );
    assert.equal((text.match(/"msg":"agent running/g) ?? []).length, 1, 'the agent started more than once');
  });
});
