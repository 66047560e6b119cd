import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { DROP_IN_NAME, flagsToConfig, renderDropIn, type DropInParams } from '../../../src/cluster/k3s-config.js';
import type { K3sConfig } from '../../../src/config/fleet-schema.js';
import { effectiveFlags } from '../../k3s-stand-in/config.js';

const fleet: K3sConfig = {
  serverArgs: ['--disable=traefik', '--disable servicelb', '--secrets-encryption'],
  agentArgs: ['--kubelet-arg=max-pods=200'],
  nodeLabels: { 'nucmesh.io/fleet': 'site-a', 'nucmesh.io/model': 'overridden' },
  tlsSans: ['k3s.site-a.example'],
  clusterCidr: '10.52.0.0/16',
  serviceCidr: '10.53.0.0/16',
};

const base: DropInParams = {
  role: 'seed',
  nodeName: 'nuc-g6tn1234',
  nodeIp: '192.168.1.21',
  labels: { 'nucmesh.io/model': 'NUC11TNHi5', 'nucmesh.io/ram-gb': '32' },
  tlsSans: ['192.168.1.21', 'nuc-g6tn1234', 'nuc-g6tn1234.local'],
  token: 'seed-secret',
  agentToken: 'agent-secret',
  fleet,
};

test('a seed drop-in inits the cluster with both secrets and the node, label, SAN and fleet keys', () => {
  const doc = parse(renderDropIn(base)) as Record<string, unknown>;
  assert.deepEqual(doc, {
    'cluster-init': true,
    token: 'seed-secret',
    'agent-token': 'agent-secret',
    'node-name': 'nuc-g6tn1234',
    'node-ip': '192.168.1.21',
    'node-label+': ['nucmesh.io/model=overridden', 'nucmesh.io/ram-gb=32', 'nucmesh.io/fleet=site-a'],
    'tls-san+': ['192.168.1.21', 'nuc-g6tn1234', 'nuc-g6tn1234.local', 'k3s.site-a.example'],
    'cluster-cidr': '10.52.0.0/16',
    'service-cidr': '10.53.0.0/16',
    'disable+': ['traefik', 'servicelb'],
    'secrets-encryption': true,
  });
});

test('a joining server names its server and token and no cluster-init; an agent has no server-only keys', () => {
  const joining = {
    ...base,
    role: 'server' as const,
    serverUrl: 'https://192.168.1.20:6443',
    token: 'K10abc::server:x',
  };
  const server = parse(renderDropIn(joining)) as Record<string, unknown>;
  assert.equal(server['server'], 'https://192.168.1.20:6443');
  assert.equal(server['token'], 'K10abc::server:x');
  assert.equal(server['cluster-init'], undefined);
  assert.equal(server['agent-token'], undefined);
  const agent = parse(renderDropIn({ ...joining, role: 'agent' })) as Record<string, unknown>;
  assert.deepEqual(Object.keys(agent).sort(), [
    'kubelet-arg+',
    'node-ip',
    'node-label+',
    'node-name',
    'server',
    'token',
  ]);
  assert.deepEqual(agent['kubelet-arg+'], ['max-pods=200']);
});

test('a role without its token or server URL is refused', () => {
  assert.throws(() => renderDropIn({ ...base, token: undefined }), { code: 'E_K3S_CONFIG' });
  assert.throws(() => renderDropIn({ ...base, role: 'agent', token: 'K10x::node:y' }), { code: 'E_K3S_CONFIG' });
});

test('fleet flags map to config keys; malformed flags and keys nucmesh owns are refused naming the field', () => {
  assert.deepEqual(flagsToConfig(['--disable=traefik', '--write-kubeconfig-mode=0644'], 'f'), {
    disable: ['traefik'],
    'write-kubeconfig-mode': '0644',
  });
  assert.deepEqual(
    flagsToConfig(['--etcd-expose-metrics', '--egress-selector-mode=pod', '--egress-selector-mode=agent'], 'f'),
    {
      'etcd-expose-metrics': true,
      'egress-selector-mode': ['pod', 'agent'],
    },
  );
  assert.throws(
    () => flagsToConfig(['disable=traefik'], 'k3s/serverArgs'),
    /k3s\/serverArgs\/0: 'disable' is not a k3s flag/,
  );
  assert.throws(
    () => flagsToConfig(['etcd-s3-secret-key=hunter2'], 'f'),
    (e: Error) => !e.message.includes('hunter2'),
    'a value is never in the message',
  );
  assert.throws(
    () => flagsToConfig(['--ok', '--token=abc'], 'k3s/serverArgs'),
    /k3s\/serverArgs\/1: --token is set by nucmesh/,
  );
  assert.throws(() => renderDropIn({ ...base, fleet: { ...fleet, serverArgs: ['--cluster-cidr=10.0.0.0/8'] } }), {
    code: 'E_K3S_CONFIG',
  });
});

test('k3s, reading config.yaml then the drop-ins, sees our values, the operator list items, and a later override', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-k3s-config-'));
  const config = path.join(dir, 'config.yaml');
  writeFileSync(config, 'node-label:\n  - rack=r7\ntls-san: ops.example\nwrite-kubeconfig-mode: "0600"\n');
  mkdirSync(`${config}.d`);
  writeFileSync(path.join(`${config}.d`, DROP_IN_NAME), renderDropIn(base));
  writeFileSync(path.join(`${config}.d`, '90-local.yaml'), 'write-kubeconfig-mode: "0644"\n');
  const warnings: string[] = [];
  const flags = effectiveFlags('server', ['--config', config], {}, (w) => warnings.push(w));
  assert.deepEqual(warnings, []);
  assert.equal(flags.get('cluster-init'), true);
  assert.equal(flags.get('token'), 'seed-secret');
  assert.equal(flags.get('write-kubeconfig-mode'), '0644', 'a later drop-in wins');
  assert.deepEqual(flags.get('node-label'), [
    'rack=r7',
    'nucmesh.io/model=overridden',
    'nucmesh.io/ram-gb=32',
    'nucmesh.io/fleet=site-a',
  ]);
  assert.deepEqual(flags.get('tls-san'), ['ops.example', ...base.tlsSans, 'k3s.site-a.example']);
  assert.deepEqual(flags.get('disable'), ['traefik', 'servicelb']);
});
