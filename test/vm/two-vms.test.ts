/**
 * Two nodes with different serials on one L2 segment (QEMU socket multicast), inside
 * `unshare -n` so nothing leaves this machine, reach each other. A small probe, handed
 * to each guest through fw_cfg and started with systemd.run, says hello to all nodes
 * (IPv6 link-local multicast) and answers each hello by unicast; each VM's console then
 * shows the other's answer. Then each node's agent must find the other over mDNS as a peer
 * (it logs `peer up` on the console; only verified adverts of its own fleet get in).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vmTestsUnavailable } from './helpers/test-image.js';
import type { Vm } from './helpers/qemu.js';
import { vmSuite } from './helpers/fixture.js';
import { END_STATE, waitForBannerState } from './helpers/boot-checks.js';
import { assertBannerMatches, nuc } from './helpers/nuc.js';
import { probeFiles, probeStatuses } from './helpers/probe.js';

const skip = vmTestsUnavailable();

describe('image: two VMs on one L2 segment', { skip }, () => {
  const suite = vmSuite('l2');
  const vms: Vm[] = [];

  it('nodes with different serials get different identities, reach each other and see each other as verified peers', async () => {
    const probe = probeFiles(suite.work);
    const netns = await suite.isolatedNet();
    const nodes = [
      { name: 'nuc-a', smbios: nuc('G6TNAAAA0001'), mac: '52:54:00:4e:00:01' },
      { name: 'nuc-b', smbios: nuc('G6TNBBBB0002'), mac: '52:54:00:4e:00:02' },
    ];
    for (const n of nodes) {
      vms.push(
        await suite.start({
          name: n.name,
          boot: 'direct',
          smbios: n.smbios,
          l2: { group: '230.0.0.1:1234', mac: n.mac },
          append: probe.append,
          fwCfg: probe.fwCfg,
          netnsPid: netns.pid,
        }),
      );
    }
    const hostnames: string[] = [];
    const ids: string[] = [];
    for (const [i, vm] of vms.entries()) {
      // Two TCG VMs of this file beside the VM of the file running next to it: three on two
      // cores, so a boot takes up to twice its time alone (a CI run saw one still booting at 300 s).
      const banner = await waitForBannerState(vm, END_STATE, 600_000);
      const { nodeId, hostname } = assertBannerMatches(banner, nodes[i]!.smbios);
      ids.push(nodeId);
      hostnames.push(hostname);
    }
    assert.notEqual(ids[0], ids[1], 'two serials, one node ID');
    // Each one's hello reached the other, and the other's unicast answer came back.
    await vms[0]!.waitFor(new RegExp(`probe: ack from ${hostnames[1]} fe80:`), 120_000);
    await vms[1]!.waitFor(new RegExp(`probe: ack from ${hostnames[0]} fe80:`), 120_000);
    // mDNS discovery between the two booted images: each agent logs (to the console) the
    // other as a peer; its table only admits adverts of our fleet whose signature verifies.
    for (const [i, vm] of vms.entries()) {
      const other = ids[1 - i]!;
      const m = await vm.waitFor(new RegExp(`"peer":"${other}","instance":"([^"]+)"[^\\n]*"msg":"peer up`), 240_000);
      assert.equal(m[1], hostnames[1 - i], 'the instance name is the peer hostname');
      assert.doesNotMatch(
        vm.console(),
        new RegExp(`"peer":"${ids[i]}"[^\\n]*"msg":"peer up`),
        'a node does not list itself as a peer',
      );
    }
    const rss = probeStatuses(vms[0]!.console())
      .filter((st) => st.rssKb > 0)
      .at(-1);
    if (rss) console.log(`# RSS of nucmesh.service in the VM: ${Math.round(rss.rssKb / 1024)} MiB`);
  });
});
