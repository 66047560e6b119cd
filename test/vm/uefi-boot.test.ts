/** UEFI boot through OVMF of the real image file: the path a NUC takes (ESP, systemd-boot). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTestImage, vmTestsUnavailable, type TestImage } from './helpers/test-image.js';
import { OVMF_CODE, Vm } from './helpers/qemu.js';
import { parseBanners } from './helpers/banner-parse.js';
import { assertBannerMatches, nuc } from './helpers/nuc.js';

const skip = vmTestsUnavailable() || (existsSync(OVMF_CODE) ? false : `${OVMF_CODE} is missing (Debian package ovmf)`);

describe('image: UEFI boot through OVMF', { skip }, () => {
  let image: TestImage;
  let vm: Vm | undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-vm-uefi-'));
  const smbios = nuc('G6TN33333333', 'NUC13ANHi7');

  before(async () => {
    image = await ensureTestImage((l) => console.log(l));
  });
  after(async () => {
    await vm?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('boots the image file with OVMF and reads the fleet config from the EFI partition', async () => {
    const t0 = Date.now();
    vm = await Vm.start({ name: 'uefi', workDir: work, image, boot: 'uefi', smbios, userNet: {} });
    await vm.waitFor(/\n {2}API {6}.*\n[\s\S]*?={72}/, 300_000);
    console.log(`# boot to banner (OVMF + systemd-boot, TCG): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const text = vm.console();
    const banner = parseBanners(text).at(-1);
    assert.ok(banner);
    assertBannerMatches(banner, smbios);
    // The kernel came from the ESP through systemd-boot, with the image's own command line.
    assert.match(text, new RegExp(`Command line: .*${image.cmdline.split(' ')[0]?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(text, /"file":"\/boot\/efi\/nucmesh\/fleet\.yaml"/, 'the fleet config was not read from the EFI partition');
  });
});
