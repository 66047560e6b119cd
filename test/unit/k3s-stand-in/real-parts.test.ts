/**
 * The pure rules of the stand-in's real-parts mode: k3s' `<part>-arg` merge (pkg/daemons/config GetArgs),
 * a joining etcd member's --initial-cluster, the headers the supervisor forwards to the apiserver
 * (front-proxy identity; a caller's own X-Remote-* never passes), and the config keys reaching the options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardedHeaders } from '../../k3s-stand-in/apiserver-proxy.js';
import { componentArgs } from '../../k3s-stand-in/component-args.js';
import { effectiveFlags } from '../../k3s-stand-in/config.js';
import { agentOptions, serverOptions } from '../../k3s-stand-in/options.js';
import { initialCluster } from '../../k3s-stand-in/real-server.js';

test('component args: an item replaces the default of its key, new keys follow, a leading -- is dropped', () => {
  assert.deepEqual(
    componentArgs({ 'secure-port': '10257', 'leader-elect': 'true' }, [
      'node-monitor-grace-period=20s',
      '--secure-port=0',
      'feature-gates=A=true,B=false',
      'v',
    ]),
    [
      '--leader-elect=true',
      '--node-monitor-grace-period=20s',
      '--secure-port=0',
      '--feature-gates=A=true,B=false',
      '--v=true',
    ],
  );
});

test('initial cluster of a new learner: started members by name, itself by its new ID, unstarted ones left out', () => {
  const members = [
    { ID: '1', name: 's1-aa', peerURLs: ['https://10.0.0.1:2380'] },
    { ID: '2', peerURLs: ['https://10.0.0.2:2380'] },
    { ID: '3', name: '', peerURLs: ['https://10.0.0.3:2380'] },
  ];
  assert.equal(initialCluster(members, '2', 's2-bb'), 's1-aa=https://10.0.0.1:2380,s2-bb=https://10.0.0.2:2380');
});

test('forwarded headers: the verified identity as X-Remote-User/Group, the caller’s X-Remote-* dropped', () => {
  const incoming = {
    accept: 'application/json',
    'x-remote-user': 'system:admin',
    'x-remote-group': 'system:masters',
    'x-remote-extra-scopes': 'all',
    connection: 'keep-alive',
    'transfer-encoding': 'chunked',
  };
  assert.deepEqual(forwardedHeaders(incoming, { user: 'system:node:a1', groups: ['system:nodes'] }, false), {
    accept: 'application/json',
    'x-remote-user': 'system:node:a1',
    'x-remote-group': ['system:nodes'],
  });
  assert.deepEqual(forwardedHeaders({ ...incoming, authorization: 'Bearer t' }, undefined, false), {
    accept: 'application/json',
    authorization: 'Bearer t',
  });
  const upgrade = forwardedHeaders({ connection: 'Upgrade', upgrade: 'SPDY/3.1' }, undefined, true);
  assert.deepEqual(upgrade, { connection: 'Upgrade', upgrade: 'SPDY/3.1' });
});

test('the <part>-arg keys reach the options as given (no comma split), kubelet-arg on agents too', () => {
  const env = { K3S_CONFIG_FILE: '/nonexistent/config.yaml' };
  const server = serverOptions(
    effectiveFlags(
      'server',
      [
        '--kube-controller-manager-arg=node-monitor-grace-period=20s',
        '--kube-apiserver-arg=feature-gates=A=true,B=true',
        '--etcd-arg=quota-backend-bytes=1000000',
        '--kubelet-arg=max-pods=50',
      ],
      env,
      () => undefined,
    ),
    0,
  );
  assert.deepEqual(server.kubeControllerManagerArgs, ['node-monitor-grace-period=20s']);
  assert.deepEqual(server.kubeApiserverArgs, ['feature-gates=A=true,B=true']);
  assert.deepEqual(server.etcdArgs, ['quota-backend-bytes=1000000']);
  assert.deepEqual(server.kubeletArgs, ['max-pods=50']);
  const agent = agentOptions(
    effectiveFlags('agent', ['--server=https://s:6443', '--token=t', '--kubelet-arg=max-pods=9'], env, () => undefined),
  );
  assert.deepEqual(agent.kubeletArgs, ['max-pods=9']);
});
