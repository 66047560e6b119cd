/**
 * The image the VM tests boot: built once per set of inputs with scripts/build-image.sh
 * (--without-k3s) into .cache/vm-image/<hash of inputs>/ and shared by every VM test
 * file and later runs. Any change to the build script, image/ or the built nucmesh
 * makes a new build (which reuses the cached Debian layer when only nucmesh changed).
 * The Debian layers and npm packages are cached outside the checkout (imageCacheDir, keyed by
 * their inputs), so a fresh clone on the same machine, as CI makes, skips mmdebstrap.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../helpers/paths.js';

export interface TestImage {
  dir: string;
  img: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  fleet: string;
  /** Seconds the build took, or null when it came from the cache. */
  buildSeconds: number | null;
}

export const vmCacheDir = path.join(repoRoot, '.cache/vm-image');

/** build-image.sh --cache for the tests: content-keyed, so shared by every checkout here. */
export const imageCacheDir = process.env['NUCMESH_IMAGE_CACHE'] ?? '/var/cache/nucmesh/image';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Hash of everything the image is made from (paths and contents, and the file modes). */
export function imageInputsKey(root = repoRoot): string {
  const files = [
    path.join(root, 'scripts/build-image.sh'),
    path.join(root, 'package.json'),
    path.join(root, 'package-lock.json'),
    ...filesUnder(path.join(root, 'image')),
    ...filesUnder(path.join(root, 'dist/src')).filter((f) => f.endsWith('.js')),
  ].sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(path.relative(root, f))
      .update('\0')
      .update(String(statSync(f).mode & 0o777))
      .update('\0')
      .update(readFileSync(f))
      .update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** Why the VM tests cannot run here, or false. Only for what truly cannot exist. */
export function vmTestsUnavailable(): string | false {
  if (process.platform !== 'linux') return 'the VM tests need Linux (QEMU, mmdebstrap)';
  if (process.getuid?.() !== 0) return 'the VM tests need root (the image build runs mmdebstrap --mode=root)';
  for (const tool of ['qemu-system-x86_64', 'qemu-img', 'mmdebstrap']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (scripts/install-host-deps.sh test installs it)`;
  }
  return false;
}

function filesOf(dir: string, version: string, buildSeconds: number | null): TestImage {
  const base = path.join(dir, `nucmesh-${version}`);
  return {
    dir,
    img: `${base}.img`,
    kernel: `${base}.vmlinuz`,
    initrd: `${base}.initrd`,
    cmdline: readFileSync(`${base}.cmdline`, 'utf8').trim(),
    fleet: path.join(dir, 'fleet.yaml'),
    buildSeconds,
  };
}

const pending = new Map<string, Promise<TestImage>>();

export interface TestImageOptions {
  /** shim + signed GRUB instead of systemd-boot (build-image.sh --secure-boot). */
  secureBoot?: boolean;
}

export function ensureTestImage(
  log: (line: string) => void = () => {},
  options: TestImageOptions = {},
): Promise<TestImage> {
  const kind = options.secureBoot ? 'secure-boot' : 'plain';
  let p = pending.get(kind);
  if (!p) {
    p = build(log, kind);
    pending.set(kind, p);
  }
  return p;
}

async function build(log: (line: string) => void, kind: 'plain' | 'secure-boot'): Promise<TestImage> {
  const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string })
    .version;
  const key = `${kind}-${imageInputsKey()}`;
  const dir = path.join(vmCacheDir, key);
  if (existsSync(path.join(dir, 'done'))) return filesOf(dir, version, null);
  await fs.mkdir(vmCacheDir, { recursive: true });
  // One builder at a time across processes (VM test files run side by side): a lock directory.
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      await fs.mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (existsSync(path.join(dir, 'done'))) return filesOf(dir, version, null);
      const held = statSync(lock, { throwIfNoEntry: false });
      // A builder that died left its lock behind.
      if (held && Date.now() - held.mtimeMs > 30 * 60_000) await fs.rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    if (existsSync(path.join(dir, 'done'))) return filesOf(dir, version, null);
    return await buildLocked(log, kind, key, dir, version);
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}

async function buildLocked(
  log: (line: string) => void,
  kind: 'plain' | 'secure-boot',
  key: string,
  dir: string,
  version: string,
): Promise<TestImage> {
  // Older builds of the same kind are stale now.
  for (const old of readdirSync(vmCacheDir))
    if (!old.startsWith(key) && old.startsWith(`${kind}-`))
      await fs.rm(path.join(vmCacheDir, old), { recursive: true, force: true });
  const part = `${dir}.part`;
  await fs.rm(part, { recursive: true, force: true });
  const t0 = performance.now();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const args = [
      path.join(repoRoot, 'scripts/build-image.sh'),
      '--without-k3s',
      '--cache',
      imageCacheDir,
      '--out',
      part,
      ...(kind === 'secure-boot' ? ['--secure-boot'] : []),
    ];
    const child = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        output.push(line);
        if (line.startsWith('==')) log(`build-image: ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`scripts/build-image.sh failed (exit ${code}):\n${output.slice(-30).join('\n')}`);
  await fs.writeFile(path.join(part, 'done'), new Date().toISOString());
  await fs.rename(part, dir);
  return filesOf(dir, version, Math.round((performance.now() - t0) / 1000));
}
