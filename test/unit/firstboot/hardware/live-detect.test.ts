/**
 * The live machine: `nucmesh detect --json` returns a valid inventory, and `capture DIR`
 * then `detect --from DIR --json` gives the same inventory as live. Sensor temperatures
 * are the only values that change between two reads, so they are left out of the comparison.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../helpers/cli.js';
import { assertInventoryShape } from '../../../helpers/inventory-shape.js';

function stable(json: string): Record<string, unknown> {
  const inv = JSON.parse(json) as Record<string, unknown> & { sensors: { temperatures: unknown } };
  inv.sensors.temperatures = '(volatile)';
  return inv;
}

test('live: nucmesh detect --json returns a valid inventory of this machine', async () => {
  const r = await runCli(['detect', '--json'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const inv = JSON.parse(r.stdout) as Record<string, unknown> & {
    cpu: { threads: number };
    memory: { totalBytes: number };
    os: { id: string };
    kernel: string;
    nics: { name: string }[];
  };
  assertInventoryShape(inv);
  // Facts this machine certainly has (Linux with /proc): threads, memory, kernel, os-release, loopback.
  assert.ok(inv.cpu.threads >= 1);
  assert.ok(inv.memory.totalBytes > 64 * 1024 * 1024);
  const osRelease = await readFile('/etc/os-release', 'utf8');
  assert.match(osRelease, new RegExp(`^ID="?${inv.os.id}"?$`, 'm'));
  assert.equal(inv.kernel, (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim());
  assert.ok(inv.nics.some((n) => n.name === 'lo'));
});

test('live: the default output is a short table with model, serial, CPU, RAM, disks, NICs and identity', async () => {
  const r = await runCli(['detect', '--data-dir', path.join(tmpdir(), 'nucmesh-no-such-dir')], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  for (const row of ['model', 'serial', 'CPU', 'RAM', 'disks', 'NICs', 'identity'])
    assert.match(r.stdout, new RegExp(`^${row}\\s{2,}\\S`, 'm'), row);
});

test('live: capture DIR writes one file per source; detect --from DIR equals live detect', async (t) => {
  // Other processes on a shared machine may add or remove interfaces between two reads
  // (network-namespace tests), so a differing pair is retried a few times before failing.
  let last: { replayed: Record<string, unknown>; live: Record<string, unknown> } | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-capture-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const cap = await runCli(['capture', dir], { timeoutMs: 60_000 });
    assert.equal(cap.code, 0, cap.stderr);
    const names = await readdir(dir);
    for (const f of [
      'cpuinfo.txt',
      'meminfo.txt',
      'lsblk.json',
      'ip-addr.json',
      'ip-link.json',
      'os-release',
      'missing.json',
    ])
      assert.ok(names.includes(f), `${f} captured`);
    const missing = JSON.parse(await readFile(path.join(dir, 'missing.json'), 'utf8')) as Record<string, string>;
    for (const name of Object.keys(missing))
      assert.ok(!names.includes(name), `${name} is either captured or missing, not both`);
    const again = await runCli(['capture', dir]);
    assert.equal(again.code, 1, 'a non-empty directory is refused');
    assert.match(again.stderr, /not empty/);

    const [replayed, live] = await Promise.all([
      runCli(['detect', '--from', dir, '--json']),
      runCli(['detect', '--json'], { timeoutMs: 60_000 }),
    ]);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.equal(live.code, 0, live.stderr);
    last = { replayed: stable(replayed.stdout), live: stable(live.stdout) };
    if (JSON.stringify(last.replayed) === JSON.stringify(last.live)) break;
  }
  assert.ok(last);
  assert.deepEqual(last.replayed, last.live);
});

test('detect --from a missing directory fails with exit 1 and says what to do; bad options are usage errors', async () => {
  const r = await runCli(['detect', '--from', '/nonexistent/capture']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /does not exist.*nucmesh capture/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  for (const args of [
    ['detect', '--json', '--labels'],
    ['detect', 'extra'],
    ['capture'],
    ['capture', 'a', 'b'],
    ['detect', '--bogus'],
  ]) {
    const u = await runCli(args);
    assert.equal(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, /nucmesh (detect|capture)/);
  }
  for (const cmd of ['detect', 'capture']) {
    const h = await runCli([cmd, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: nucmesh /m);
  }
});
