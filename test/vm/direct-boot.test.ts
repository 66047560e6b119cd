/**
 * Direct-kernel boot of the built image (-kernel/-initrd/-append): nucmesh.service starts,
 * the inventory inside sees the SMBIOS product and serial the test gave, the hostname
 * derives from them, the banner is on the serial console, and the agent reads its fleet
 * config from the EFI partition the command line names (nucmesh.esp=PARTUUID=), never
 * waiting on a device timeout. Once with QEMU's default CPU and once with `-cpu max`, a
 * slower guest under TCG in which udev makes the partition's links only after ~90 s.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vmTestsUnavailable } from './helpers/test-image.js';
import { vmSuite } from './helpers/fixture.js';
import { lastBanner } from './helpers/banner-parse.js';
import { assertBannerMatches, nuc } from './helpers/nuc.js';
import { probeFiles, probeStatuses } from './helpers/probe.js';
import { espPartUuid } from './helpers/image-variants.js';
import { BANNER_DONE, END_STATE, assertEspNotRaced, waitForBannerState } from './helpers/boot-checks.js';

const skip = vmTestsUnavailable();

for (const cpu of [undefined, 'max'] as const) {
  describe(`image: direct-kernel boot${cpu ? ` (-cpu ${cpu})` : ''}`, { skip }, () => {
    const suite = vmSuite(`direct${cpu ? `-${cpu}` : ''}`);
    const smbios = nuc(cpu ? 'G6TN11111112' : 'G6TN11111111');

    it('runs nucmesh.service, which shows model, serial, node ID and hostname in the banner and walks the boot sequence to k3s-missing', async () => {
      const t0 = Date.now();
      const vm = await suite.start({
        name: `direct${cpu ? `-${cpu}` : ''}`,
        boot: 'direct',
        smbios,
        cpu,
        userNet: { apiHostPort: cpu ? 18444 : 18443 },
        ...probeFiles(suite.work),
      });
      // Type=notify: systemd says "Started" only at READY=1 (a cluster member); "Starting" comes at once.
      await vm.waitFor(/Starting nucmesh\.service/, cpu ? 600_000 : 240_000);
      await vm.waitFor(BANNER_DONE, 300_000);
      console.log(
        `# boot to banner (direct kernel, TCG${cpu ? `, -cpu ${cpu}` : ''}): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      const formed = await waitForBannerState(vm, END_STATE, cpu ? 600_000 : 240_000);
      console.log(`# boot to ${END_STATE}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const text = vm.console();
      const { hostname } = assertBannerMatches(formed, smbios);
      // DHCP from QEMU's user network: an address in 10.0.2.0/24, and the API URL on it.
      const banner = lastBanner(text);
      assert.ok(banner);
      assert.ok(
        banner.ips.some((ip) => ip.startsWith('10.0.2.')),
        `no DHCP address in the banner: ${banner.ips.join(', ')}`,
      );
      assert.match(banner.fields['API'] ?? '', /^https:\/\/10\.0\.2\.\d+:8443\/$/);
      // The agent's own log lines reach the console too.
      assert.match(text, new RegExp(`"msg":"hostname: set to ${hostname}"`));
      // The fleet config came from the ESP the command line names, found by its partition UUID.
      assertEspNotRaced(text, espPartUuid(suite.image()), 'cmdline');
      // 30 s later: never restarted, and still starting (Type=notify: READY=1 comes only when the node is
      // a cluster member, which it cannot be without k3s), with the reason as its status text.
      const firstStatus = probeStatuses(vm.console()).at(-1)?.seq ?? -1;
      await vm.waitFor(new RegExp(`probe: status ${firstStatus + 3} `), 120_000);
      const later = probeStatuses(vm.console()).find((s) => s.seq === firstStatus + 3);
      assert.ok(later);
      assert.equal(later.active, 'activating', 'nucmesh.service is Type=notify and not ready without k3s');
      assert.match(later.text, /k3s-missing/, 'systemctl status shows why the node does not go on');
      assert.equal(later.restarts, 0, 'systemd restarted nucmesh.service');
      console.log(`# RSS of nucmesh.service in the VM: ${Math.round(later.rssKb / 1024)} MiB`);
      assert.equal(
        (vm.console().match(/"msg":"fleet config loaded"/g) ?? []).length,
        1,
        'the agent loaded its fleet config more than once',
      );
    });
  });
}
