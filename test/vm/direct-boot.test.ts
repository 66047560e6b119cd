/**
 * Direct-kernel boot of the built image (-kernel/-initrd/-append): nucmesh.service starts,
 * the inventory inside sees the SMBIOS product and serial the test gave, the hostname
 * derives from them, and the banner is on the serial console.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTestImage, vmTestsUnavailable, type TestImage } from './helpers/test-image.js';
import { Vm } from './helpers/qemu.js';
import { lastBanner } from './helpers/banner-parse.js';
import { assertBannerMatches, nuc } from './helpers/nuc.js';
import { probeFiles, probeStatuses } from './helpers/probe.js';

const skip = vmTestsUnavailable();

describe('image: direct-kernel boot', { skip }, () => {
  let image: TestImage;
  let vm: Vm | undefined;
  const work = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-vm-direct-'));
  const smbios = nuc('G6TN11111111');

  before(async () => {
    image = await ensureTestImage((l) => console.log(l));
    if (image.buildSeconds !== null) console.log(`# image built in ${image.buildSeconds} s`);
  });
  after(async () => {
    await vm?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('runs nucmesh.service, which shows model, serial, node ID and hostname in the banner', async () => {
    const t0 = Date.now();
    vm = await Vm.start({ name: 'direct', workDir: work, image, boot: 'direct', smbios, userNet: { apiHostPort: 18443 }, ...probeFiles(work) });
    await vm.waitFor(/Started nucmesh\.service/, 240_000);
    const bannerEnd = await vm.waitFor(/\n {2}API {6}.*\n[\s\S]*?={72}/, 120_000);
    console.log(`# boot to banner (direct kernel, TCG): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(bannerEnd);
    const text = vm.console();
    const banner = lastBanner(text);
    assert.ok(banner, 'no complete banner on the serial console');
    const { hostname } = assertBannerMatches(banner, smbios);
    assert.match(banner.fields['State'] ?? '', /^[a-z]+$/);
    // DHCP from QEMU's user network: an address in 10.0.2.0/24, and the API URL on it.
    assert.ok(banner.ips.some((ip) => ip.startsWith('10.0.2.')), `no DHCP address in the banner: ${banner.ips.join(', ')}`);
    assert.match(banner.fields['API'] ?? '', /^http:\/\/10\.0\.2\.\d+:8443\/$/);
    // The agent's own log lines reach the console too.
    assert.match(text, new RegExp(`"msg":"hostname: set to ${hostname}"`));
    // Still active 30 s after the banner, never restarted (systemd's own account, via the probe).
    const firstStatus = probeStatuses(text).at(-1)?.seq ?? -1;
    const later = await vm.waitFor(new RegExp(`probe: status ${firstStatus + 3} active=(\\S+) restarts=(\\d+) rss_kb=(\\d+)`), 90_000);
    assert.equal(later[1], 'active', 'nucmesh.service is not active');
    assert.equal(later[2], '0', 'systemd restarted nucmesh.service');
    console.log(`# RSS of nucmesh.service in the VM: ${Math.round(Number(later[3]) / 1024)} MiB`);
    assert.equal((vm.console().match(/"msg":"fleet config loaded"/g) ?? []).length, 1, 'the agent started more than once');
  });
});
