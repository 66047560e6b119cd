/**
 * Finding the EFI partition the node booted from: the loader's variable, else the kernel
 * command line; and the image's generator, which must read the same two sources the same way.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  existsSync,
  readdirSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  espStatus,
  locateEspFrom,
  mountSourceAt,
  partUuidFromCmdline,
  partUuidFromEfiVar,
  type EspReaders,
} from '../../../src/firstboot/esp.js';
import { repoRoot } from '../../helpers/paths.js';

const UUID = '6f1e6a0c-3b6d-4c8e-9b1a-2f5d7e9a0c11';

/** An efivarfs file as the kernel shows it: attributes, then the UTF-16LE string with its NUL. */
function efiVar(text: string): Buffer {
  return Buffer.concat([Buffer.from([0x06, 0, 0, 0]), Buffer.from(`${text}\0`, 'utf16le')]);
}

describe('LoaderDevicePartUUID and nucmesh.esp=', () => {
  it('reads the loader variable (systemd-boot writes it in upper case)', () => {
    assert.equal(partUuidFromEfiVar(efiVar(UUID.toUpperCase())), UUID);
    assert.equal(partUuidFromEfiVar(efiVar('not-a-uuid')), undefined);
    assert.equal(partUuidFromEfiVar(Buffer.from([6, 0, 0])), undefined);
    assert.equal(
      partUuidFromEfiVar(Buffer.concat([efiVar(UUID), Buffer.from([0x41])])),
      UUID,
      'an odd trailing byte is ignored',
    );
  });

  it('reads nucmesh.esp=PARTUUID= from the command line, the last valid one counting', () => {
    assert.equal(partUuidFromCmdline(`root=PARTUUID=x nucmesh.esp=PARTUUID=${UUID.toUpperCase()} ro quiet\n`), UUID);
    assert.equal(partUuidFromCmdline('root=PARTUUID=x ro'), undefined);
    assert.equal(partUuidFromCmdline('nucmesh.esp=PARTUUID=garbage'), undefined);
    assert.equal(partUuidFromCmdline('nucmesh.esp=LABEL=NUCMESH-ESP'), undefined, 'a label is not accepted');
    const other = '11111111-2222-3333-4444-555555555555';
    assert.equal(partUuidFromCmdline(`nucmesh.esp=PARTUUID=${UUID} nucmesh.esp=PARTUUID=${other}`), other);
  });

  it('prefers what the loader says over the command line', () => {
    const other = '11111111-2222-3333-4444-555555555555';
    assert.deepEqual(locateEspFrom(efiVar(UUID), `nucmesh.esp=PARTUUID=${other}`), {
      partuuid: UUID,
      source: 'loader',
      device: `/dev/disk/by-partuuid/${UUID}`,
    });
    assert.deepEqual(locateEspFrom(undefined, `nucmesh.esp=PARTUUID=${other}`)?.source, 'cmdline');
    assert.deepEqual(locateEspFrom(efiVar('garbage'), `nucmesh.esp=PARTUUID=${other}`)?.partuuid, other);
    assert.equal(locateEspFrom(undefined, 'ro quiet'), undefined);
  });

  it('finds what is mounted at /boot/efi in mountinfo (the last mount on the path wins)', () => {
    const mountinfo = [
      '22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
      '40 22 259:1 / /boot/efi rw,relatime shared:20 - vfat /dev/nvme0n1p1 rw,fmask=0077',
      '41 22 8:1 / /boot/efi/x rw - vfat /dev/sda1 rw',
    ].join('\n');
    assert.equal(mountSourceAt(mountinfo, '/boot/efi'), '/dev/nvme0n1p1');
    assert.equal(mountSourceAt(`${mountinfo}\n50 40 8:1 / /boot/efi rw - vfat /dev/sda1 rw`, '/boot/efi'), '/dev/sda1');
    assert.equal(mountSourceAt(mountinfo, '/efi'), undefined);
  });

  it('reports a located partition whose device is not there yet', async () => {
    const read: EspReaders = {
      efiVar: async () => undefined,
      cmdline: async () => `nucmesh.esp=PARTUUID=${UUID}`,
      exists: async () => false,
      mountinfo: async () => '',
      realpath: async (f) => f,
    };
    assert.deepEqual(await espStatus(read), {
      present: false,
      location: { partuuid: UUID, source: 'cmdline', device: `/dev/disk/by-partuuid/${UUID}` },
    });
  });
});

const generator = path.join(repoRoot, 'image/overlay/etc/systemd/system-generators/nucmesh-esp-generator');
const hasEscape = spawnSync('sh', ['-c', 'command -v systemd-escape']).status === 0;

describe('the image generator (nucmesh-esp-generator) agrees with the agent', () => {
  const cases: { name: string; efi?: Buffer; cmdline: string; live?: boolean }[] = [
    { name: 'a stick in live mode: the ESP read-only', efi: efiVar(UUID), cmdline: 'ro', live: true },
    { name: 'loader only', efi: efiVar(UUID.toUpperCase()), cmdline: 'ro' },
    { name: 'command line only', cmdline: `root=PARTUUID=x nucmesh.esp=PARTUUID=${UUID} ro` },
    {
      name: 'loader before command line',
      efi: efiVar(UUID),
      cmdline: 'nucmesh.esp=PARTUUID=11111111-2222-3333-4444-555555555555',
    },
    { name: 'a broken loader variable falls back', efi: efiVar('broken'), cmdline: `nucmesh.esp=PARTUUID=${UUID}` },
    { name: 'nothing', cmdline: 'ro quiet' },
    { name: 'a label is not a partition UUID', cmdline: 'nucmesh.esp=LABEL=NUCMESH-ESP' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-espgen-'));
      try {
        const out = path.join(dir, 'out');
        mkdirSync(out);
        const env: NodeJS.ProcessEnv = {
          PATH: process.env['PATH'],
          NUCMESH_ESP_CMDLINE: path.join(dir, 'cmdline'),
          NUCMESH_ESP_EFIVAR: path.join(dir, 'efivar'),
          NUCMESH_LIVE_ENV: path.join(dir, 'live.env'),
        };
        if (c.live) writeFileSync(path.join(dir, 'live.env'), 'NUCMESH_LIVE_ROOT=/dev/sda2\n');
        writeFileSync(path.join(dir, 'cmdline'), `${c.cmdline}\n`);
        if (c.efi) writeFileSync(path.join(dir, 'efivar'), c.efi);
        execFileSync(generator, [out, out, out], { env });
        const expected = locateEspFrom(c.efi, c.cmdline);
        const unit = path.join(out, 'boot-efi.mount');
        if (!expected) {
          assert.deepEqual(readdirSync(out), [], 'nothing generated when no partition is named');
          return;
        }
        const text = readFileSync(unit, 'utf8');
        assert.match(text, new RegExp(`^What=${expected.device}$`, 'm'));
        assert.match(text, /^Where=\/boot\/efi$/m);
        assert.match(text, /^Options=.*\bnofail\b/m);
        if (c.live) assert.match(text, /^Options=ro,/m, 'a stick is never written to');
        else assert.doesNotMatch(text, /^Options=.*\bro\b/m);
        const wants = readdirSync(out).filter((n) => n.endsWith('.device.wants'));
        assert.equal(wants.length, 1);
        if (hasEscape) {
          const escaped = execFileSync('systemd-escape', ['--path', '--suffix=device', expected.device], {
            encoding: 'utf8',
          }).trim();
          assert.equal(wants[0], `${escaped}.wants`, 'the device unit name is systemd-escape --path of the device');
        }
        const link = path.join(out, wants[0] as string, 'boot-efi.mount');
        assert.equal(readlinkSync(link), '../boot-efi.mount');
        assert.ok(existsSync(link), 'the .wants link resolves to the mount unit');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
