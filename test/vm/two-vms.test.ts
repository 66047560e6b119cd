/**
 * Two nodes with different serials on one L2 segment (QEMU socket multicast), inside
 * `unshare -n` so nothing leaves this machine, reach each other. A small probe, handed
 * to each guest through fw_cfg and started with systemd.run, says hello to all nodes
 * (IPv6 link-local multicast) and answers each hello by unicast; each VM's console then
 * shows the other's answer. (The discovery issue extends this test to mDNS.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTestImage, vmTestsUnavailable, type TestImage } from './helpers/test-image.js';
import { IsolatedNet, Vm } from './helpers/qemu.js';
import { parseBanners } from './helpers/banner-parse.js';
import { assertBannerMatches, nuc } from './helpers/nuc.js';

const skip = vmTestsUnavailable();

/** Runs inside the guest (CommonJS, the guest's Node). Stops after two minutes. */
const PROBE = `
const dgram = require('node:dgram'), os = require('node:os'), fs = require('node:fs');
const say = (s) => fs.appendFileSync('/dev/ttyS0', 'l2-probe: ' + s + '\\r\\n');
const iface = () => Object.entries(os.networkInterfaces()).find(([n, a]) => n !== 'lo' && a.some((x) => x.family === 'IPv6' && x.address.startsWith('fe80')))?.[0];
const sock = dgram.createSocket({ type: 'udp6', reuseAddr: true });
sock.on('message', (msg, r) => {
  const [kind, from] = msg.toString().split(' ');
  if (from === os.hostname()) return;
  if (kind === 'hello') { say('hello from ' + from + ' ' + r.address); sock.send('ack ' + os.hostname(), r.port, r.address); }
  if (kind === 'ack') say('ack from ' + from + ' ' + r.address);
});
sock.bind(7999, () => {
  say('started as ' + os.hostname());
  const timer = setInterval(() => { const i = iface(); if (i) sock.send('hello ' + os.hostname(), 7999, 'ff02::1%' + i); }, 2000);
  // For the README figures: the agent's resident memory, as the kernel counts it.
  const rss = setInterval(() => {
    try {
      const pid = require('node:child_process').execSync('systemctl show -P MainPID nucmesh.service').toString().trim();
      const kb = /VmRSS:\\s+(\\d+)/.exec(fs.readFileSync('/proc/' + pid + '/status', 'utf8'));
      if (pid !== '0' && kb) say('nucmesh.service rss ' + kb[1] + ' kB');
    } catch {}
  }, 15000);
  setTimeout(() => { clearInterval(timer); clearInterval(rss); sock.close(); }, 120000);
});
`;

const PROBE_CMDLINE = [
  `systemd.run="/bin/sh -c 'systemctl start --no-block multi-user.target; modprobe qemu_fw_cfg; sleep 1; cat /sys/firmware/qemu_fw_cfg/by_name/opt/nucmesh/l2-probe/raw > /run/l2-probe.js && exec node /run/l2-probe.js'"`,
  'systemd.run_success_action=none',
  'systemd.run_failure_action=none',
].join(' ');

describe('image: two VMs on one L2 segment', { skip }, () => {
  let image: TestImage;
  let netns: IsolatedNet | undefined;
  const vms: Vm[] = [];
  const work = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-vm-l2-'));

  before(async () => {
    image = await ensureTestImage((l) => console.log(l));
  });
  after(async () => {
    for (const vm of vms) await vm.kill();
    await netns?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it('nodes with different serials get different identities and reach each other', async () => {
    const probe = path.join(work, 'l2-probe.js');
    writeFileSync(probe, PROBE);
    netns = await IsolatedNet.start();
    const nodes = [
      { name: 'nuc-a', smbios: nuc('G6TNAAAA0001'), mac: '52:54:00:4e:00:01' },
      { name: 'nuc-b', smbios: nuc('G6TNBBBB0002'), mac: '52:54:00:4e:00:02' },
    ];
    for (const n of nodes) {
      vms.push(
        await Vm.start({
          name: n.name,
          workDir: work,
          image,
          boot: 'direct',
          smbios: n.smbios,
          l2: { group: '230.0.0.1:1234', mac: n.mac },
          append: PROBE_CMDLINE,
          fwCfg: [{ name: 'opt/nucmesh/l2-probe', file: probe }],
          netnsPid: netns.pid,
        }),
      );
    }
    const hostnames: string[] = [];
    const ids: string[] = [];
    for (const [i, vm] of vms.entries()) {
      await vm.waitFor(/\n {2}API {6}.*\n[\s\S]*?={72}/, 300_000);
      const banner = parseBanners(vm.console()).at(-1);
      assert.ok(banner);
      const { nodeId, hostname } = assertBannerMatches(banner, nodes[i]!.smbios);
      ids.push(nodeId);
      hostnames.push(hostname);
    }
    assert.notEqual(ids[0], ids[1], 'two serials, one node ID');
    // Each one's hello reached the other, and the other's unicast answer came back.
    await vms[0]!.waitFor(new RegExp(`l2-probe: ack from ${hostnames[1]} fe80:`), 120_000);
    await vms[1]!.waitFor(new RegExp(`l2-probe: ack from ${hostnames[0]} fe80:`), 120_000);
    const rss = await vms[0]!.waitFor(/l2-probe: nucmesh\.service rss (\d+) kB/, 60_000);
    console.log(`# RSS of nucmesh.service in the VM: ${Math.round(Number(rss[1]) / 1024)} MiB`);
  });
});
