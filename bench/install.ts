/**
 * The installer's write rate against a plain sequential copy of the same bytes to the same
 * virtual disk, in one VM run (QEMU TCG): the test image as a USB stick, a blank 10 GiB NVMe
 * disk, a direct-kernel boot with nucmesh.service masked and a script from fw_cfg that
 * (page cache dropped before each) copies the payload with `dd bs=4M conv=fsync` to a fresh
 * region of the disk (4 GiB in), runs `nucmesh install --target /dev/nvme0n1 --yes`, and copies
 * with dd once more (6 GiB in), so a change of load during the run shows. Prints the rates and
 * the ratio of the install's to the mean dd rate (goal ≥ 0.9).
 *   sudo node dist/bench/install.js
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ensureTestImage } from '../test/vm/helpers/test-image.js';
import { Vm } from '../test/vm/helpers/qemu.js';

const GUEST = `
exec > /dev/ttyS0 2>&1
udevadm settle --timeout=60
bytes=$(node -e 'const t=JSON.parse(require("child_process").execSync("sfdisk -J /dev/sda")).partitiontable; const p=t.partitions; console.log((p[1].start+p[1].size-p[0].start)*512)')
echo "bench: payload $bytes bytes"
copy() { # dd of the payload to a fresh region of the disk at byte offset $1
  sync; echo 3 > /proc/sys/vm/drop_caches
  dd if=/dev/sda of=/dev/nvme0n1 bs=4M iflag=skip_bytes,count_bytes oflag=seek_bytes skip=1048576 seek=$1 count=$bytes conv=fsync 2>&1 | sed 's/^/bench: dd: /'
}
copy 4294967296
sync; echo 3 > /proc/sys/vm/drop_caches
NUCMESH_LOG_FORMAT=json nucmesh install --target /dev/nvme0n1 --yes 2>/dev/null | grep -E 'payload written|installed onto' | sed 's/^/bench: install: /'
copy 6442450944
echo "bench: done"
poweroff -f
`;

const image = await ensureTestImage((l) => console.log(`# ${l}`));
const work = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-bench-install-'));
try {
  const disk = path.join(work, 'nvme.raw');
  execFileSync('truncate', ['-s', '10G', disk]);
  const script = path.join(work, 'bench.sh');
  writeFileSync(script, GUEST);
  const vm = await Vm.start({
    name: 'bench-install',
    workDir: work,
    image,
    boot: 'direct',
    smbios: { manufacturer: 'Intel(R) Client Systems', product: 'NUC11TNHi5', serial: 'BENCH0001' },
    internalDisk: disk,
    usbStick: image.img,
    fwCfg: [{ name: 'opt/nucmesh/bench', file: script }],
    append: `systemd.mask=nucmesh.service systemd.run="/bin/sh -c 'modprobe qemu_fw_cfg; sleep 1; sh /sys/firmware/qemu_fw_cfg/by_name/opt/nucmesh/bench/raw'" systemd.run_success_action=none systemd.run_failure_action=none`,
  });
  try {
    await vm.waitFor(/bench: done/, 3_600_000);
  } finally {
    await vm.kill();
  }
  const text = vm.console();
  const dds = [...text.matchAll(/bench: dd: (\d+) bytes .* copied, ([\d.]+) s/g)];
  const inst = /"bytes":(\d+),"ms":(\d+),"mbps":([\d.]+),"msg":"install: payload written"/.exec(text);
  if (dds.length !== 2 || !inst)
    throw new Error(
      `bench output incomplete:\n${text
        .split('\n')
        .filter((l) => l.startsWith('bench:'))
        .join('\n')}`,
    );
  const ddRates = dds.map((m) => Number(m[1]) / Number(m[2]) / 1e6);
  const ddRate = (ddRates[0]! + ddRates[1]!) / 2;
  const instRate = Number(inst[1]) / (Number(inst[2]) / 1000) / 1e6;
  console.log(`payload: ${inst[1]} bytes`);
  for (const [i, m] of dds.entries())
    console.log(
      `dd bs=4M conv=fsync (${i === 0 ? 'before' : 'after'}): ${Number(m[2]).toFixed(1)} s, ${ddRates[i]!.toFixed(1)} MB/s`,
    );
  console.log(
    `nucmesh install (write phase, fsync'd): ${(Number(inst[2]) / 1000).toFixed(1)} s, ${instRate.toFixed(1)} MB/s`,
  );
  console.log(`ratio install / mean dd: ${(instRate / ddRate).toFixed(2)} (goal >= 0.9)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
