/**
 * UEFI boot through OVMF of the real image file: the path a NUC takes (ESP, systemd-boot).
 * systemd-boot names the ESP it started from (LoaderDevicePartUUID) and the agent reads the
 * fleet config from that partition, not from whichever partition carries the label: with a
 * second nucmesh medium plugged in (a USB stick with the same labels, other partition UUIDs
 * and another fleet config), the node still uses its own. Once more with `-cpu max`, where
 * udev enumerates the disks late.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { vmTestsUnavailable } from './helpers/test-image.js';
import { OVMF_CODE } from './helpers/qemu.js';
import { vmSuite } from './helpers/fixture.js';
import { assertBannerMatches, nuc } from './helpers/nuc.js';
import { espPartUuid, stickCopy } from './helpers/image-variants.js';
import { END_STATE, assertEspNotRaced, waitForBannerState } from './helpers/boot-checks.js';
import { newFleetConfig, parseFleetConfig, renderFleetConfig } from '../../src/config/fleet.js';

const skip = vmTestsUnavailable() || (existsSync(OVMF_CODE) ? false : `${OVMF_CODE} is missing (Debian package ovmf)`);

for (const variant of [
  { cpu: undefined, stick: true },
  { cpu: 'max', stick: false },
] as const) {
  const name = `uefi${variant.cpu ? `-${variant.cpu}` : ''}`;
  const title = variant.stick ? 'with a second nucmesh stick plugged in' : `-cpu ${variant.cpu}`;
  describe(`image: UEFI boot through OVMF (${title})`, { skip }, () => {
    const suite = vmSuite(name);
    const smbios = nuc(variant.cpu ? 'G6TN33333334' : 'G6TN33333333', 'NUC13ANHi7');

    it('boots the image file with OVMF and reads the fleet config from the EFI partition it booted from', async () => {
      const image = suite.image();
      const ownFleet = parseFleetConfig(readFileSync(image.fleet, 'utf8'));
      const stick = variant.stick
        ? stickCopy(image, suite.work, renderFleetConfig(newFleetConfig('the-sticks-fleet')))
        : undefined;
      const t0 = Date.now();
      const vm = await suite.start({
        name,
        boot: 'uefi',
        smbios,
        cpu: variant.cpu,
        userNet: {},
        ...(stick ? { usbStick: stick.img } : {}),
      });
      const formed = await waitForBannerState(vm, END_STATE, variant.cpu ? 900_000 : 300_000);
      console.log(
        `# boot to ${END_STATE} (OVMF + systemd-boot, TCG, ${title}): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      const text = vm.console();
      assertBannerMatches(formed, smbios);
      // The kernel came from the ESP through systemd-boot, with the image's own command line.
      assert.match(
        text,
        new RegExp(`Command line: .*${image.cmdline.split(' ')[0]?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
      // systemd-boot named its ESP, and that is the one the agent used.
      assertEspNotRaced(text, espPartUuid(image), 'loader');
      assert.match(
        text,
        new RegExp(`"fleet":"${ownFleet.name}"[^\\n]*"msg":"fleet config loaded"`),
        'the node loaded another fleet config than its own',
      );
      if (stick) {
        assert.doesNotMatch(text, /the-sticks-fleet/, "the stick's fleet config was used");
        assert.doesNotMatch(text, new RegExp(stick.espPartUuid), "the stick's ESP was named");
        assert.match(text, /usb-storage|USB Mass Storage/i, 'the stick was not attached');
      }
    });
  });
}
