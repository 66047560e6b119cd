import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createK3sDriver, type CommandRunner } from '../../../src/cluster/k3s-driver.js';
import { capturingLogger } from '../../helpers/k3s-stand-in.js';

function setup(results: Record<string, number> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-k3s-driver-'));
  const bin = path.join(dir, 'k3s');
  writeFileSync(bin, '#!/bin/sh\n');
  chmodSync(bin, 0o755);
  const calls: string[] = [];
  const run: CommandRunner = async (cmd, args) => {
    const line = [cmd, ...args].join(' ');
    calls.push(line);
    const code = results[line] ?? 0;
    return { code, stdout: '', stderr: code ? 'Unit not found.' : '' };
  };
  const driver = createK3sDriver({
    mode: 'systemd',
    bin,
    configFile: path.join(dir, 'etc/config.yaml'),
    dataDir: path.join(dir, 'data'),
    kubeconfig: path.join(dir, 'etc/k3s.yaml'),
    run,
    log: capturingLogger().log,
  });
  return { dir, bin, calls, driver };
}

test("systemd mode starts the role's unit without blocking and takes the other role's unit down", async () => {
  const { calls, driver } = setup();
  await driver.start('agent');
  assert.deepEqual(calls, [
    'systemctl disable --now k3s.service',
    'systemctl enable --now --no-block k3s-agent.service',
  ]);
  calls.length = 0;
  await driver.start('seed');
  assert.deepEqual(calls, [
    'systemctl disable --now k3s-agent.service',
    'systemctl enable --now --no-block k3s.service',
  ]);
  calls.length = 0;
  await driver.close();
  assert.deepEqual(calls, [], 'closing the agent leaves k3s running under systemd');
});

test('a failing systemctl is E_K3S_START; a missing executable is E_K3S_MISSING', async () => {
  const { driver } = setup({ 'systemctl enable --now --no-block k3s.service': 5 });
  await assert.rejects(driver.start('server'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'E_K3S_START');
    assert.match(e.message, /Unit not found/);
    return true;
  });
  const none = createK3sDriver({ mode: 'child', bin: '/nonexistent/k3s', log: capturingLogger().log });
  assert.equal(await none.available(), false);
  await assert.rejects(none.start('agent'), { code: 'E_K3S_MISSING' });
});

test('configure writes the drop-in next to config.yaml, 0600, leaving config.yaml alone', async () => {
  const { dir, driver } = setup();
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  writeFileSync(path.join(dir, 'etc/config.yaml'), 'write-kubeconfig-mode: "0644"\n');
  const file = await driver.configure({
    role: 'agent',
    nodeName: 'n1',
    nodeIp: '10.0.0.5',
    labels: {},
    tlsSans: [],
    serverUrl: 'https://10.0.0.1:6443',
    token: 'K10' + 'a'.repeat(64) + '::node:pw',
  });
  assert.equal(file, path.join(dir, 'etc/config.yaml.d/50-nucmesh.yaml'));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /^server: https:\/\/10\.0\.0\.1:6443$/m);
  assert.equal(readFileSync(path.join(dir, 'etc/config.yaml'), 'utf8'), 'write-kubeconfig-mode: "0644"\n');
});

test('wipe stops k3s and removes its cluster state but keeps the airgap images', async () => {
  const { dir, calls, driver } = setup();
  for (const f of [
    'data/server/db/etcd/member',
    'data/server/tls/server-ca.crt',
    'data/agent/client-kubelet.crt',
    'data/agent/images/k3s-airgap-images-amd64.tar.zst',
    'etc/k3s.yaml',
    'etc/config.yaml.d/50-nucmesh.yaml',
  ]) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), 'x');
  }
  await driver.wipe();
  assert.deepEqual(calls, ['systemctl stop k3s.service k3s-agent.service']);
  assert.equal(existsSync(path.join(dir, 'data/server')), false);
  assert.equal(existsSync(path.join(dir, 'data/agent/client-kubelet.crt')), false);
  assert.equal(existsSync(path.join(dir, 'data/agent/images/k3s-airgap-images-amd64.tar.zst')), true);
  assert.equal(existsSync(path.join(dir, 'etc/k3s.yaml')), false);
  assert.equal(existsSync(path.join(dir, 'etc/config.yaml.d/50-nucmesh.yaml')), false);
});

test('waitReady in systemd mode waits for the unit to turn active and says so when stopped', async () => {
  const { driver } = setup({ 'systemctl is-active k3s-agent.service': 3 });
  const err = await driver.waitReady('agent', 'n1', AbortSignal.timeout(300)).catch((e: unknown) => e);
  assert.equal((err as { code?: string }).code, 'E_K3S_NOT_READY');
  assert.match((err as Error).message, /k3s-agent\.service is not active/);
});

test('child mode restarts an exiting k3s with backoff, logs its lines, and stops it by PID', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-k3s-child-'));
  const bin = path.join(dir, 'k3s');
  const starts = path.join(dir, 'starts');
  // Exits at once the first time, then stays up (exec: the PID the driver holds is the sleeper's).
  writeFileSync(
    bin,
    `#!/bin/sh\necho "$@" >> ${starts}\necho "\${NOTIFY_SOCKET:-unset}" > ${dir}/notify\n` +
      `echo "k3s line $(wc -l < ${starts})"\n` +
      `[ "$(wc -l < ${starts})" -ge 2 ] && exec sleep 60\nexit 1\n`,
  );
  chmodSync(bin, 0o755);
  const captured = capturingLogger();
  const driver = createK3sDriver({
    mode: 'child',
    bin,
    configFile: path.join(dir, 'config.yaml'),
    dataDir: path.join(dir, 'data'),
    kubeconfig: path.join(dir, 'k3s.yaml'),
    log: captured.log,
    childEnv: { PATH: process.env['PATH'], NOTIFY_SOCKET: '/run/systemd/notify' },
  });
  await driver.start('seed');
  const deadline = Date.now() + 5000;
  while (!(existsSync(starts) && readFileSync(starts, 'utf8').split('\n').length > 2) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const lines = readFileSync(starts, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2, 'started again after the first exit');
  assert.equal(
    lines[0],
    `server --config ${dir}/config.yaml --data-dir ${dir}/data --write-kubeconfig ${dir}/k3s.yaml`,
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.match(captured.text(), /"component":"k3s.child".*"msg":"k3s line 1"/);
  assert.match(captured.text(), /k3s exited; restarting it/);
  assert.equal(
    readFileSync(path.join(dir, 'notify'), 'utf8').trim(),
    'unset',
    "nucmesh's NOTIFY_SOCKET is not passed on",
  );
  const started = Date.now();
  await driver.close();
  assert.ok(Date.now() - started < 5000, 'SIGTERM ended it');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(readFileSync(starts, 'utf8').trim().split('\n').length, 2, 'not restarted after stop');
});
