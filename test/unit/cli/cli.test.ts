import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { agentOptionsFrom } from '../../../src/cli/commands/agent.js';
import { k3sOptionsOf, DEFAULT_K3S } from '../../../src/agent/options.js';

test('--help lists every command and exits 0; no command is a usage error', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const cmd of ['agent', 'fleet']) assert.match(r.stdout, new RegExp(`^  ${cmd} `, 'm'));
  const none = await runCli([]);
  assert.equal(none.code, 2);
});

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
});

test('usage errors exit 2 with a message that says what was wrong, and no stack trace', async () => {
  for (const args of [
    ['frobnicate'],
    ['agent', '--bogus'],
    ['agent', '--api-port', 'x', '--fleet', '/x'],
    ['agent', '--k3s-mode', 'docker'],
    ['fleet'],
    ['fleet', 'init'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /nucmesh/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('every command has --help', async () => {
  for (const cmd of ['agent', 'fleet']) {
    const r = await runCli([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage:/m);
  }
});

test('fleet init then check; a broken file fails with exit 1 naming the field', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-cli-'));
  const file = path.join(dir, 'fleet.yaml');
  assert.equal((await runCli(['fleet', 'init', file, '--name', 'site-a'])).code, 0);
  const ok = await runCli(['fleet', 'check', file]);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /valid .*site-a/);
  const again = await runCli(['fleet', 'init', file]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
  const missing = await runCli(['fleet', 'check', path.join(dir, 'none.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /fleet init/);
});

test('agent --k3s-* options set how k3s runs; without them the image defaults hold', () => {
  const opts = agentOptionsFrom([
    '--k3s-mode',
    'child',
    '--k3s-bin',
    '/opt/k3s',
    '--k3s-config',
    '/tmp/k/config.yaml',
    '--k3s-data-dir',
    '/tmp/k/data',
    '--k3s-kubeconfig',
    '/tmp/k/k3s.yaml',
  ]);
  assert.notEqual(opts, 'help');
  assert.deepEqual(k3sOptionsOf(opts as Exclude<typeof opts, 'help'>), {
    mode: 'child',
    bin: '/opt/k3s',
    configFile: '/tmp/k/config.yaml',
    dataDir: '/tmp/k/data',
    kubeconfig: '/tmp/k/k3s.yaml',
  });
  const plain = agentOptionsFrom([]);
  assert.notEqual(plain, 'help');
  assert.deepEqual(k3sOptionsOf(plain as Exclude<typeof plain, 'help'>), DEFAULT_K3S);
  assert.equal(DEFAULT_K3S.mode, 'systemd');
  assert.equal(DEFAULT_K3S.bin, '/usr/local/bin/k3s');
});

test('install: --target is required; a disk that is not one of this machine is refused', async () => {
  const none = await runCli(['install']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--target DEV is required/);
  const help = await runCli(['install', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--dry-run/);
  // Read-only on this machine: lsblk, the disks' second sector, wipefs --no-act.
  const absent = await runCli(['install', '--target', '/dev/nucmesh-no-such-disk', '--dry-run']);
  assert.equal(absent.code, 1);
  assert.match(absent.stderr, /\/dev\/nucmesh-no-such-disk is not a disk of this machine/);
});
