/**
 * The USB-stick installer (issue 13), under OVMF: the image as a USB stick (qemu-xhci +
 * usb-storage, attached without snapshot so any write would reach the file) and a blank NVMe
 * disk. The stick installs, the VM comes back from the NVMe disk with the banner of the NUC
 * it is, and the stick's file is byte for byte what it was. Then: a second NUC with another
 * serial gets another node ID from the same stick; a disk that is not blank is refused and
 * left untouched; an install killed in the middle of writing is redone; with stick and
 * installed disk both attached, the node runs from its own disk.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { vmTestsUnavailable } from './helpers/test-image.js';
import { OVMF_CODE, type Vm } from './helpers/qemu.js';
import { vmSuite } from './helpers/fixture.js';
import { assertBannerMatches, bannerNodeId, nuc } from './helpers/nuc.js';
import { END_STATE, waitForBannerState } from './helpers/boot-checks.js';
import { parseBanners } from './helpers/banner-parse.js';

const skip = vmTestsUnavailable() || (existsSync(OVMF_CODE) ? false : `${OVMF_CODE} is missing (Debian package ovmf)`);

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const INSTALLED = /installed: rebooting into the internal disk/;
/** The new ESP's partition UUID, from the installer's log line with the new IDs. */
function newEspUuid(text: string): string {
  const m = /"espPartUuid":"([0-9a-f-]{36})"[^\n]*new disk, partition and file system IDs/.exec(text);
  assert.ok(m?.[1], 'the installer logged no new IDs');
  return m[1];
}

describe('the USB-stick installer (OVMF, NVMe + USB stick)', { skip }, () => {
  const suite = vmSuite('installer');
  const smbios = nuc('G6TN55555551');
  let stick = '';
  let stickSum = '';
  let disk = '';
  let vars = '';
  let firstNodeId = '';

  const startStick = (name: string, o: { disk: string; serial?: string; vars?: string; stick?: boolean }) =>
    suite.start({
      name,
      boot: 'uefi',
      smbios: o.serial ? nuc(o.serial) : smbios,
      userNet: {},
      internalDisk: o.disk,
      ...(o.stick === false ? {} : { usbStick: stick, stickWritable: true }),
      ...(o.vars ? { varsFile: o.vars } : {}),
    });

  const blankDisk = (name: string): string => {
    const f = path.join(suite.work, `${name}.raw`);
    execFileSync('truncate', ['-s', '10G', f]);
    return f;
  };

  it('installs onto a blank NVMe disk and comes back up from it; the stick is unchanged', async () => {
    stick = path.join(suite.work, 'stick.img');
    execFileSync('cp', ['--sparse=always', suite.image().img, stick]);
    stickSum = await sha256(stick);
    disk = blankDisk('nvme');
    vars = path.join(suite.work, 'nvme.OVMF_VARS.fd');
    const t0 = Date.now();
    const vm = await startStick('install', { disk, vars });
    await vm.waitFor(INSTALLED, 1_500_000);
    const tInstalled = (Date.now() - t0) / 1000;
    const text = vm.console();
    const espUuid = newEspUuid(text);
    const rate = /"bytes":(\d+),"ms":(\d+),"mbps":([\d.]+),"msg":"install: payload written"/.exec(text);
    const mark = text.search(INSTALLED);
    // After the reboot (BootNext): the node from its own disk, its EFI partition the new one.
    const formed = await waitForBannerState(vm, END_STATE, 600_000, mark);
    const tBanner = (Date.now() - t0) / 1000;
    console.log(
      `# installer: power-on to "installed" ${tInstalled.toFixed(0)} s, to the banner from the internal disk ${tBanner.toFixed(0)} s; payload ${rate?.[1]} bytes in ${rate?.[2]} ms (${rate?.[3]} MB/s)`,
    );
    firstNodeId = assertBannerMatches(formed, smbios).nodeId;
    const after = vm.console().slice(mark);
    assert.match(after, new RegExp(`EFI partition: PARTUUID=${espUuid}`), 'the second boot did not use the new ESP');
    assert.doesNotMatch(after, /nucmesh: live mode/, 'the second boot ran from the stick again');
    await vm.kill();
    assert.equal(await sha256(stick), stickSum, "the stick's image file changed");
  });

  it('the same stick in a second NUC: another node ID, nothing inherited', async () => {
    const vm = await startStick('second', { disk: blankDisk('second'), serial: 'G6TN55555552' });
    let id = '';
    await vm.waitForCondition(
      () => {
        const b = parseBanners(vm.console()).find((x) => /^[0-9a-f]{32} /.test(x.fields['Node ID'] ?? ''));
        if (b) id = bannerNodeId(b).nodeId;
        return id !== '';
      },
      600_000,
      'a banner with a node ID',
    );
    assert.notEqual(id, firstNodeId);
    await vm.kill();
    assert.equal(await sha256(stick), stickSum, "the stick's image file changed");
  });

  it('refuses a disk that is not blank (wipe: blank-only) and leaves it untouched', async () => {
    const foreign = blankDisk('foreign');
    execFileSync('sfdisk', ['--quiet', foreign], { input: 'label: gpt\nstart=1MiB, size=64MiB\n' });
    execFileSync('mkfs.ext4', ['-q', '-E', 'offset=1048576', foreign, '64M']);
    const before = await sha256(foreign);
    const vm = await startStick('refuse', { disk: foreign });
    await vm.waitFor(/not installed: .*left untouched \(install\.wipe: blank-only\)/, 600_000);
    await waitForBannerState(vm, 'install-refused', 60_000);
    await vm.kill();
    assert.equal(await sha256(foreign), before, 'the non-blank disk was written to');
  });

  it('with the stick and the installed disk both attached, the node runs from its own disk', async () => {
    const vm = await startStick('both', { disk, vars });
    const formed = await waitForBannerState(vm, END_STATE, 600_000);
    assert.equal(bannerNodeId(formed).nodeId, firstNodeId);
    const text = vm.console();
    assert.doesNotMatch(text.slice(0, text.search(/EFI partition: PARTUUID/)), /installed: rebooting/);
    assert.match(text, /"msg":"EFI partition: PARTUUID=[0-9a-f-]{36} \(named by the boot loader\)/);
    await vm.kill();
    assert.equal(await sha256(stick), stickSum, "the stick's image file changed");
  });
  it('an install killed while writing is redone from the stick; then the disk boots alone', async () => {
    const cut = blankDisk('cut');
    const cutVars = path.join(suite.work, 'cut.OVMF_VARS.fd');
    let vm: Vm = await startStick('cut-1', { disk: cut, vars: cutVars });
    await vm.waitFor(/Progress +writing [3-9]\d%/, 1_500_000);
    await vm.kill();
    vm = await startStick('cut-2', { disk: cut, vars: cutVars });
    await vm.waitFor(/holds an interrupted nucmesh install/, 600_000);
    await vm.waitFor(INSTALLED, 1_500_000);
    await vm.kill();
    vm = await startStick('cut-3', { disk: cut, vars: cutVars, stick: false });
    const formed = await waitForBannerState(vm, END_STATE, 600_000);
    assertBannerMatches(formed, smbios);
    await vm.kill();
  });
});
