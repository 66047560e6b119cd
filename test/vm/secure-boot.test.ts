/**
 * --secure-boot: OVMF with Secure Boot on and Microsoft's keys enrolled boots the image
 * through Microsoft-signed shim, Debian-signed GRUB and the signed Debian kernel, and the
 * agent finds the ESP GRUB booted from (by GRUB's bli module where it has one, else by
 * nucmesh.esp= on the command line), never by its label.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { vmTestsUnavailable } from './helpers/test-image.js';
import { OVMF_CODE_SECBOOT, OVMF_VARS_MS } from './helpers/qemu.js';
import { vmSuite } from './helpers/fixture.js';
import { assertBannerMatches, nuc } from './helpers/nuc.js';
import { espPartUuid } from './helpers/image-variants.js';
import { END_STATE, assertEspNotRaced, waitForBannerState } from './helpers/boot-checks.js';

const firmwareMissing = [OVMF_CODE_SECBOOT, OVMF_VARS_MS].find((f) => !existsSync(f));
const skip = vmTestsUnavailable() || (firmwareMissing ? `${firmwareMissing} is missing (Debian package ovmf)` : false);

describe('image: Secure Boot', { skip }, () => {
  const suite = vmSuite('sb', { secureBoot: true });
  const smbios = nuc('G6TN44444444', 'NUC11PAHi5');

  it('boots with Secure Boot enforced, runs nucmesh and reads the fleet config from its own ESP', async () => {
    const vm = await suite.start({ name: 'secure-boot', boot: 'secure-boot', smbios, userNet: {} });
    await vm.waitFor(/secureboot: Secure boot enabled/, 240_000);
    const formed = await waitForBannerState(vm, END_STATE, 300_000);
    const text = vm.console();
    assert.match(text, /Kernel is locked down from EFI Secure Boot/);
    assertBannerMatches(formed, smbios);
    const source = /"msg":"EFI partition: PARTUUID=\S+ \(named by the boot loader\)/.test(text) ? 'loader' : 'cmdline';
    console.log(
      `# Secure Boot: the ESP was named by ${source === 'loader' ? "GRUB's bli module (LoaderDevicePartUUID)" : 'nucmesh.esp= on the command line'}`,
    );
    assertEspNotRaced(text, espPartUuid(suite.image()), source);
  });
});
