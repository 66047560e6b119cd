/**
 * scripts/build-image.sh: the k3s paths (offline --k3s-dir with a small fake release,
 * checked inside the built root file system; the binary is never run), the early failures
 * with a message that says what to do, and the shared test image's contents.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { newFleetConfig, renderFleetConfig } from '../../src/config/fleet.js';
import { ensureTestImage, imageCacheDir, vmTestsUnavailable, type TestImage } from './helpers/test-image.js';
import { listRootDir, partitions, readEspFile, readRootFile, rootFileMode } from './helpers/image-files.js';

const skip = vmTestsUnavailable();
const script = path.join(repoRoot, 'scripts/build-image.sh');

function run(args: string[], asUser?: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = asUser
      ? ['setpriv', ['--reuid', asUser, '--regid', asUser, '--clear-groups', 'bash', script, ...args]]
      : ['bash', [script, ...args]];
    const child = spawn(cmd as string, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A directory shaped like a k3s release: the two files and a sums file listing more. */
function fakeK3sDir(dir: string): { binary: Buffer; images: Buffer } {
  mkdirSync(dir, { recursive: true });
  const binary = Buffer.from('#!/bin/sh\necho "fake k3s for the nucmesh build test"\nexit 1\n');
  const images = randomBytes(64 * 1024);
  writeFileSync(path.join(dir, 'k3s'), binary);
  writeFileSync(path.join(dir, 'k3s-airgap-images-amd64.tar.zst'), images);
  writeFileSync(
    path.join(dir, 'sha256sum-amd64.txt'),
    [
      `${sha256('other')}  k3s-airgap-images-amd64.tar`,
      `${sha256(binary)}  k3s`,
      `${sha256(images)}  k3s-airgap-images-amd64.tar.zst`,
    ].join('\n') + '\n',
  );
  return { binary, images };
}

describe('build-image.sh: options and early failures', () => {
  it('--help explains every option', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const opt of ['--out', '--fleet', '--k3s-version', '--k3s-dir', '--without-k3s', '--secure-boot', '--size'])
      assert.match(r.out, new RegExp(`\\n  ${opt} `), opt);
  });

  it('rejects a bad option or value with exit 2, naming it', async () => {
    let r = await run(['--frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.out, /unknown option '--frobnicate'/);
    r = await run(['--size', 'huge']);
    assert.equal(r.code, 2);
    assert.match(r.out, /--size: 'huge' is not a size/);
    r = await run(['--k3s-dir', '/nonexistent/k3s']);
    assert.equal(r.code, 2);
    assert.match(r.out, /--k3s-dir: '\/nonexistent\/k3s' is not a directory/);
  });
});

describe(
  'build-image.sh: needs root',
  { skip: process.getuid?.() === 0 ? false : 'needs root to drop to an unprivileged user' },
  () => {
    it('says to run it as root, with the same arguments, before doing anything', async () => {
      const r = await run(['--without-k3s', '--size', '4G'], '65534');
      assert.equal(r.code, 1);
      assert.match(r.out, /must run as root .*: sudo \S*build-image\.sh --without-k3s --size 4G/);
    });
  },
);

describe('build-image.sh: k3s', { skip }, () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-build-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  it('refuses a --k3s-dir whose files do not match their sums, before building anything', async () => {
    const dir = path.join(work, 'bad-k3s');
    fakeK3sDir(dir);
    writeFileSync(path.join(dir, 'k3s'), 'tampered');
    const t0 = Date.now();
    const r = await run(['--k3s-dir', dir, '--out', path.join(work, 'out-bad')]);
    assert.equal(r.code, 1);
    assert.match(r.out, /k3s: .*\/k3s does not match its sha256/);
    assert.doesNotMatch(r.out, /mmdebstrap/);
    assert.ok(Date.now() - t0 < 60_000);
  });

  it('fails early with what to do when the k3s release cannot be downloaded', async () => {
    // A release that does not exist fails the same way as no network: early, with the way out.
    const r = await run(['--k3s-version', 'v0.0.0+nucmesh-test-missing', '--out', path.join(work, 'out-dl')]);
    assert.equal(r.code, 1);
    assert.match(r.out, /k3s v0\.0\.0\+nucmesh-test-missing cannot be downloaded/);
    assert.match(r.out, /--k3s-dir DIR/);
    assert.match(r.out, /--without-k3s/);
    assert.doesNotMatch(r.out, /Debian layer/);
  });

  it('--k3s-dir puts the binary, the airgap images and the (disabled) units at their paths; --fleet with SSH keys enables SSH', async () => {
    const { binary, images } = fakeK3sDir(path.join(work, 'k3s'));
    const out = path.join(work, 'out');
    const fleet = path.join(work, 'ops.yaml');
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVjbWVzaC10ZXN0LWtleS1ub3QtYS1yZWFsLWtleQ ops@example';
    const cfg = newFleetConfig('ops');
    writeFileSync(fleet, renderFleetConfig({ ...cfg, ssh: { ...cfg.ssh, authorizedKeys: [key] } }), { mode: 0o600 });
    const r = await run([
      '--k3s-dir',
      path.join(work, 'k3s'),
      '--out',
      out,
      '--fleet',
      fleet,
      '--cache',
      imageCacheDir,
    ]);
    assert.equal(r.code, 0, r.out.slice(-3000));
    const img = path.join(
      out,
      `nucmesh-${(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version}.img`,
    );
    assert.deepEqual(readRootFile(img, '/usr/local/bin/k3s'), binary);
    assert.equal(rootFileMode(img, '/usr/local/bin/k3s'), 0o755);
    assert.deepEqual(readRootFile(img, '/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst'), images);
    assert.ok(readRootFile(img, '/etc/systemd/system/k3s.service'));
    assert.ok(readRootFile(img, '/etc/systemd/system/k3s-agent.service'));
    const wants = listRootDir(img, '/etc/systemd/system/multi-user.target.wants');
    assert.ok(wants.includes('nucmesh.service'));
    assert.ok(!wants.includes('k3s.service') && !wants.includes('k3s-agent.service'), 'k3s units must not be enabled');
    assert.match(readRootFile(img, '/etc/nucmesh/image-release')?.toString() ?? '', /^K3S=from --k3s-dir$/m);
    // The given fleet is on the ESP; its SSH key is root's only way in, and sshd is enabled.
    assert.equal(readEspFile(img, '/nucmesh/fleet.yaml'), readFileSync(fleet, 'utf8'));
    assert.equal(readRootFile(img, '/root/.ssh/authorized_keys')?.toString(), `${key}\n`);
    assert.equal(rootFileMode(img, '/root/.ssh/authorized_keys'), 0o600);
    assert.ok(listRootDir(img, '/etc/systemd/system/multi-user.target.wants').includes('ssh.service'));
    assert.match(
      readRootFile(img, '/etc/ssh/sshd_config.d/nucmesh.conf')?.toString() ?? '',
      /^PasswordAuthentication no$/m,
    );
    // mDNS sockets may grow their receive buffers to 2 MiB (Debian caps them at 208 KiB).
    const sysctl = readRootFile(img, '/etc/sysctl.d/60-nucmesh.conf')?.toString() ?? '';
    assert.match(sysctl, /^net\.core\.rmem_max = 2097152$/m);
    // Neighbour tables fit a large LAN (past the kernel's 1024 entries, packets are dropped silently).
    for (const family of ['ipv4', 'ipv6'])
      assert.match(sysctl, new RegExp(`^net\\.${family}\\.neigh\\.default\\.gc_thresh3 = 8192$`, 'm'));
    // The agent runs with a small V8 young generation (≈ 20 MB less resident memory).
    assert.match(
      readRootFile(img, '/etc/default/nucmesh')?.toString() ?? '',
      /^NODE_OPTIONS=--max-semi-space-size=2$/m,
    );
    // Every output is listed in SHA256SUMS with its real sum.
    const sums = readFileSync(path.join(out, 'SHA256SUMS'), 'utf8');
    assert.match(sums, new RegExp(`^${sha256(readFileSync(img))}  ${path.basename(img)}$`, 'm'));
    for (const ext of ['.img.zst', '.vmlinuz', '.initrd', '.cmdline'])
      assert.match(sums, new RegExp(`${path.basename(img, '.img')}\\${ext}$`, 'm'));
  });
});

describe('build-image.sh: the test image', { skip }, () => {
  let image: TestImage;
  before(async () => {
    image = await ensureTestImage((l) => console.log(l));
  });

  it('has no k3s, a locked root, no SSH (no keys in the fleet), first-boot machine-id and the fleet on the ESP', () => {
    assert.equal(readRootFile(image.img, '/usr/local/bin/k3s'), null);
    assert.equal(readRootFile(image.img, '/root/.ssh/authorized_keys'), null);
    assert.ok(!listRootDir(image.img, '/etc/systemd/system/multi-user.target.wants').includes('ssh.service'));
    const shadowRoot = readRootFile(image.img, '/etc/shadow')
      ?.toString()
      .split('\n')
      .find((l) => l.startsWith('root:'));
    assert.match(shadowRoot ?? '', /^root:!/, 'root must be locked');
    assert.deepEqual(
      listRootDir(image.img, '/etc/ssh').filter((n) => n.startsWith('ssh_host_')),
      [],
    );
    assert.equal(readRootFile(image.img, '/etc/machine-id')?.toString(), 'uninitialized\n');
    assert.equal(readEspFile(image.img, '/nucmesh/fleet.yaml'), readFileSync(image.fleet, 'utf8'));
    assert.ok(readRootFile(image.img, '/opt/nucmesh/dist/src/cli/bin.js'));
    const modules = listRootDir(image.img, '/opt/nucmesh/node_modules');
    assert.ok(
      modules.includes('pino') && !modules.includes('typescript') && !modules.includes('eslint'),
      'production dependencies only',
    );
    assert.deepEqual(listRootDir(image.img, '/usr/share/man'), [], 'no manuals');
  });

  it('names its ESP by partition UUID on every boot path and mounts it by a generator, not by label', () => {
    const esp = partitions(image.img).find((p) => p.name === 'nucmesh-esp');
    assert.ok(esp?.uuid, 'the ESP has a partition UUID');
    const param = `nucmesh.esp=PARTUUID=${esp.uuid.toLowerCase()}`;
    assert.ok(
      image.cmdline.split(' ').includes(param),
      `the direct-boot command line lacks ${param}: ${image.cmdline}`,
    );
    assert.match(
      readEspFile(image.img, '/loader/entries/nucmesh.conf') ?? '',
      new RegExp(`^options .*${param}`, 'm'),
      'the systemd-boot entry lacks it',
    );
    const fstab = readRootFile(image.img, '/etc/fstab')?.toString() ?? '';
    assert.doesNotMatch(fstab, /^[^#].*\/boot\/efi/m, 'fstab must not mount the ESP (by label)');
    assert.equal(rootFileMode(image.img, '/etc/systemd/system-generators/nucmesh-esp-generator'), 0o755);
    assert.match(
      readRootFile(image.img, '/etc/systemd/system/nucmesh.service')?.toString() ?? '',
      /^After=.*\bboot-efi\.mount\b/m,
    );
  });
});
