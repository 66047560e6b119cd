/**
 * --secure-boot: OVMF with Secure Boot on and Microsoft's keys enrolled boots the image
 * through Microsoft-signed shim, Debian-signed GRUB and the signed Debian kernel.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTestImage, vmTestsUnavailable, type TestImage } from './helpers/test-image.js';
import { OVMF_CODE_SECBOOT, OVMF_VARS_MS, Vm } from './helpers/qemu.js';
import { parseBanners } from './helpers/banner-parse.js';
import { assertBannerMatches, nuc } from './helpers/nuc.js';

const firmwareMissing = [OVMF_CODE_SECBOOT, OVMF_VARS_MS].find((f) => !existsSync(f));
const skip = vmTestsUnavailable() || (firmwareMissing ? `${firmwareMissing} is missing (Debian package ovmf)` : false);

describe('image: Secure Boot', { skip }, () => {
  let image: TestImage;
  let vm: Vm | undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-vm-sb-'));
  const smbios = nuc('G6TN44444444', 'NUC11PAHi5');

  before(async () => {
    image = await ensureTestImage((l) => console.log(l), { secureBoot: true });
  });
  after(async () => {
    await vm?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('boots with Secure Boot enforced and runs nucmesh', async () => {
    vm = await Vm.start({ name: 'secure-boot', workDir: work, image, boot: 'secure-boot', smbios, userNet: {} });
    await vm.waitFor(/secureboot: Secure boot enabled/, 240_000);
    await vm.waitFor(/\n {2}API {6}.*\n[\s\S]*?={72}/, 300_000);
    const text = vm.console();
    assert.match(text, /Kernel is locked down from EFI Secure Boot/);
    const banner = parseBanners(text).at(-1);
    assert.ok(banner);
    assertBannerMatches(banner, smbios);
  });
});
