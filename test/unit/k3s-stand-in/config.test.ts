/**
 * The stand-in reads config files and flags the way k3s does (pkg/configfilearg/parser.go) and refuses
 * what k3s refuses (pkg/cli/server/server.go, pkg/cli/agent): the behaviour nucmesh depends on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configFileOf, effectiveFlags, parseFlags, readConfigFiles } from '../../k3s-stand-in/config.js';
import { agentOptions, serverOptions } from '../../k3s-stand-in/options.js';

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'k3s-stand-in-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return path.join(dir, 'config.yaml');
}

test('config.yaml, then the .d files in name order: last value wins, key+ appends, other files are ignored', () => {
  const file = configDir({
    'config.yaml': 'token: a\nnode-label: [x=1]\ndebug: true\n',
    'config.yaml.d/20-b.yaml': 'token: b\nnode-label+: [y=2]\n',
    'config.yaml.d/10-a.YML': 'token: from-10\nhttps-listen-port: 7443\n',
    'config.yaml.d/30-ignored.txt': 'token: never\n',
    'config.yaml.d/40-c.yml': 'node-label+: z=3\n',
  });
  assert.deepEqual(readConfigFiles(file), [
    '--token=b',
    '--node-label=x=1',
    '--node-label=y=2',
    '--node-label=z=3',
    '--debug=true',
    '--https-listen-port=7443',
  ]);
});

test('a missing config file without drop-ins is no error; drop-ins alone are read', () => {
  const file = configDir({ 'other.yaml': '' });
  assert.equal(readConfigFiles(file), undefined);
  const only = configDir({ 'config.yaml.d/50-x.yaml': 'token: t\n' });
  assert.deepEqual(readConfigFiles(only), ['--token=t']);
});

test("an unknown key is skipped with k3s' warning; an unknown command-line flag is an error", () => {
  const file = configDir({ 'config.yaml': 'bogus: 1\ntls-san: a.example\nnode-name: n1\n' });
  const warnings: string[] = [];
  const agent = effectiveFlags('agent', ['--config', file], {}, (w) => warnings.push(w));
  // tls-san is a server flag: an agent skips it too.
  assert.deepEqual(warnings, [
    'Unknown flag --bogus found in config.yaml, skipping',
    'Unknown flag --tls-san found in config.yaml, skipping',
  ]);
  assert.equal(agent.get('node-name'), 'n1');
  assert.throws(() => parseFlags('server', ['--bogus=1']), /flag provided but not defined: -bogus/);
});

test('command-line flags come after the config: a scalar there wins, a list gets both', () => {
  const file = configDir({ 'config.yaml': 'node-name: from-file\nnode-label: [a=1]\n' });
  const flags = effectiveFlags('server', ['-c', file, '--node-name', 'from-cli', '--node-label=b=2'], {}, () => {});
  assert.equal(flags.get('node-name'), 'from-cli');
  assert.deepEqual(flags.get('node-label'), ['a=1', 'b=2']);
  assert.equal(configFileOf([], { K3S_CONFIG_FILE: '/e.yaml' }), '/e.yaml');
  assert.equal(configFileOf(['--config=/c.yaml'], {}), '/c.yaml');
  assert.equal(configFileOf([], {}), '/etc/rancher/k3s/config.yaml');
});

test('the server refuses the flag combinations k3s refuses, with its texts', () => {
  const refuse = (args: string[], text: string, uid = 0) =>
    assert.throws(() => serverOptions(parseFlags('server', args), uid), { message: text }, args.join(' '));
  refuse(
    ['--cluster-reset', '--server=https://a:6443'],
    'cannot perform cluster-reset while server URL is set - remove server from configuration before resetting',
  );
  refuse(['--disable-etcd'], 'invalid flag use; --server is required with --disable-etcd');
  refuse(
    ['--cluster-reset-restore-path=/x'],
    'invalid flag use; --cluster-reset required with --cluster-reset-restore-path',
  );
  refuse([], 'server must run as root, or with --rootless and/or --disable-agent', 1000);
  refuse(['--cluster-cidr=10.42.0.0/33'], 'invalid cluster-cidr 10.42.0.0/33: invalid CIDR address: 10.42.0.0/33');
  // Accepted: cluster-init with server (the server joins), disable-etcd with server, a non-root server without agent.
  assert.equal(serverOptions(parseFlags('server', ['--cluster-init', '--server=https://a:6443']), 0).clusterInit, true);
  assert.ok(serverOptions(parseFlags('server', ['--disable-etcd', '--server=https://a:6443']), 0));
  assert.ok(serverOptions(parseFlags('server', ['--disable-agent']), 1000));
  const o = serverOptions(parseFlags('server', ['--node-label=a=b', '--tls-san=x,y']), 0);
  assert.deepEqual([o.httpsPort, o.kubeconfigMode, o.labels, o.tlsSans], [6443, 0o600, { a: 'b' }, ['x', 'y']]);
});

test('an agent needs a token and a server URL', () => {
  assert.throws(() => agentOptions(parseFlags('agent', ['--server=https://a:6443'])), {
    message: '--token is required',
  });
  assert.throws(() => agentOptions(parseFlags('agent', ['--token=t'])), { message: '--server is required' });
  assert.equal(agentOptions(parseFlags('agent', ['-t', 't', '-s', 'https://a:6443'])).lbServerPort, 6444);
});
