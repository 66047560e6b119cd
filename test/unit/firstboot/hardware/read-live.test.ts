/**
 * The thin live readers tolerate absence: a file system root without /proc, /sys or /etc
 * gives `missing` reasons, never an exception; a fake sysfs tree is read into the capture
 * names (dmi-id/*, sys-class-net/<if>/*, tpm/*). Commands still run on this machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readLiveSources, runCommand } from '../../../../src/firstboot/hardware/read-live.js';
import { buildInventory } from '../../../../src/firstboot/hardware/build-inventory.js';
import { assertInventoryShape } from '../../../helpers/inventory-shape.js';

async function tempRoot(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-root-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('an empty root: every file source is missing with a reason, the inventory is still valid', async (t) => {
  const root = await tempRoot(t);
  const src = await readLiveSources({ root });
  for (const f of ['cpuinfo.txt', 'meminfo.txt', 'os-release', 'kernel-release', 'dmi-id', 'sys-class-net'])
    assert.match(src.missing.get(f) ?? '', /does not exist/, f);
  assert.equal(src.files.get('tpm/devices'), '', 'no /sys/class/tpm: no TPM, not an error');
  const inv = buildInventory(src);
  assertInventoryShape(inv);
  assert.ok(inv.warnings.some((w) => w.startsWith('cpuinfo.txt: /proc/cpuinfo does not exist')));
});

test('a fake sysfs: DMI strings, NIC device/driver links and the TPM are read into their capture names', async (t) => {
  const root = await tempRoot(t);
  const dmi = path.join(root, 'sys/class/dmi/id');
  await mkdir(dmi, { recursive: true });
  await writeFile(path.join(dmi, 'product_name'), 'NUC11TNHi5\n');
  await writeFile(path.join(dmi, 'sys_vendor'), 'Intel(R) Client Systems\n');
  await writeFile(path.join(dmi, 'product_uuid'), '8c2a1b3c-d4e5-11eb-8000-1c697a0b0c0d\n');
  const eno1 = path.join(root, 'sys/class/net/eno1');
  await mkdir(path.join(root, 'sys/devices/pci0000:00/0000:58:00.0/driver-target/igc'), { recursive: true });
  await mkdir(path.join(root, 'sys/devices/pci0000:00/0000:58:00.0/dev'), { recursive: true });
  await mkdir(eno1, { recursive: true });
  await symlink(path.join(root, 'sys/devices/pci0000:00/0000:58:00.0/dev'), path.join(eno1, 'device'));
  await symlink(
    path.join(root, 'sys/devices/pci0000:00/0000:58:00.0/driver-target/igc'),
    path.join(root, 'sys/devices/pci0000:00/0000:58:00.0/dev/driver'),
  );
  await writeFile(path.join(eno1, 'address'), '1c:69:7a:0b:0c:0d\n');
  await writeFile(path.join(eno1, 'speed'), '2500\n');
  await mkdir(path.join(root, 'sys/class/net/docker0'), { recursive: true });
  await mkdir(path.join(root, 'sys/class/tpm/tpm0'), { recursive: true });
  await writeFile(path.join(root, 'sys/class/tpm/tpm0/tpm_version_major'), '2\n');

  const src = await readLiveSources({ root });
  assert.equal(src.files.get('dmi-id/product_name'), 'NUC11TNHi5\n');
  assert.equal(src.files.get('sys-class-net/eno1/driver'), 'igc');
  assert.equal(src.files.get('sys-class-net/eno1/speed'), '2500');
  assert.ok(src.files.has('sys-class-net/eno1/device'));
  assert.ok(!src.files.has('sys-class-net/docker0/device'), 'no device link: a software interface');
  assert.equal(src.files.get('tpm/devices'), 'tpm0');
  const inv = buildInventory(src);
  assert.deepEqual(inv.platform, { kind: 'nuc', model: 'NUC11TNHi5', generation: 11 });
  assert.deepEqual(inv.tpm, { present: true, version: '2.0' });
  assert.equal(inv.system.uuid, '8c2a1b3c-d4e5-11eb-8000-1c697a0b0c0d');
});

test('a command that is not installed, or fails, becomes a reason naming the package or the error', async () => {
  const absent = await runCommand(
    { file: 'x.txt', cmd: 'nucmesh-no-such-command', args: [], pkg: 'some-package' },
    5000,
  );
  assert.deepEqual(absent, {
    ok: false,
    reason: 'nucmesh-no-such-command is not installed (Debian package some-package)',
  });
  const failing = await runCommand(
    {
      file: 'x.txt',
      cmd: process.execPath,
      args: ['-e', 'console.error("boom: no access"); process.exit(3)'],
      pkg: 'nodejs',
    },
    5000,
  );
  assert.equal(failing.ok, false);
  assert.match(failing.ok ? '' : failing.reason, /exit 3\): boom: no access/);
  const slow = await runCommand(
    { file: 'x.txt', cmd: process.execPath, args: ['-e', 'setTimeout(() => {}, 10000)'], pkg: 'nodejs' },
    200,
  );
  assert.match(slow.ok ? '' : slow.reason, /timed out after 200 ms/);
});
