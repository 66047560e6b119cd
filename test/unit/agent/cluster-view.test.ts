import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readClusterView } from '../../../src/agent/cluster-view.js';
import { clusterViewReader } from '../../../src/agent/cluster-view-worker.js';
import { testCertificate } from '../../helpers/tls.js';

const NODES = {
  kind: 'NodeList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '1' },
  items: [
    {
      metadata: {
        name: 'nuc-aa11',
        labels: {
          'node-role.kubernetes.io/control-plane': 'true',
          'node-role.kubernetes.io/etcd': 'true',
          'nucmesh.io/model': 'NUC11TNHi5',
          'kubernetes.io/os': 'linux',
        },
      },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        nodeInfo: { kubeletVersion: 'v1.31.4+k3s1' },
        addresses: [{ type: 'InternalIP', address: '10.0.0.5' }],
      },
    },
    {
      metadata: { name: 'nuc-bb22', labels: { 'nucmesh.io/model': 'NUC12WSHi5' } },
      status: { conditions: [{ type: 'Ready', status: 'False' }], nodeInfo: { kubeletVersion: 'v1.31.4+k3s1' } },
    },
  ],
};

/** A tiny Kubernetes API over HTTPS that answers GET /api/v1/nodes to the bearer token only. */
async function fakeKubeApi(token: string): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const cert = await testCertificate();
  const seen: string[] = [];
  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"kind":"Status","code":401}');
      return;
    }
    if (req.url?.startsWith('/api/v1/nodes'))
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(NODES));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { port, seen, close: () => new Promise((r) => server.close(() => r())) };
}

async function kubeconfig(dir: string, port: number, token: string): Promise<string> {
  const cert = await testCertificate();
  const file = path.join(dir, 'k3s.yaml');
  const ca = Buffer.from(cert.cert).toString('base64');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: default
  cluster: {server: "https://127.0.0.1:${port}", certificate-authority-data: ${ca}}
users:
- name: default
  user: {token: ${token}}
contexts:
- name: default
  context: {cluster: default, user: default}
current-context: default
`,
    { mode: 0o600 },
  );
  return file;
}

test('GET /v1/cluster data: the nodes with roles, Ready, versions and our labels, and the etcd members', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-kube-'));
  const api = await fakeKubeApi('k3s-token-xyz');
  try {
    const view = await readClusterView({
      kubeconfig: await kubeconfig(dir, api.port, 'k3s-token-xyz'),
      clusterId: 'c1',
    });
    assert.deepEqual(view, {
      clusterId: 'c1',
      etcdMembers: 1,
      nodes: [
        {
          name: 'nuc-aa11',
          roles: ['control-plane', 'etcd'],
          ready: true,
          kubeletVersion: 'v1.31.4+k3s1',
          addresses: ['10.0.0.5'],
          labels: { 'nucmesh.io/model': 'NUC11TNHi5' },
        },
        {
          name: 'nuc-bb22',
          roles: [],
          ready: false,
          kubeletVersion: 'v1.31.4+k3s1',
          addresses: [],
          labels: { 'nucmesh.io/model': 'NUC12WSHi5' },
        },
      ],
    });
    assert.ok(api.seen.some((s) => s.startsWith('GET /api/v1/nodes')));
    const refused = await readClusterView({ kubeconfig: await kubeconfig(dir, api.port, 'wrong'), clusterId: 'c1' });
    assert.ok('unavailable' in refused);
    assert.doesNotMatch(refused.unavailable, /wrong|k3s-token/, 'the reason holds no token');
  } finally {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without a kubeconfig (k3s not up): a reason, not an error', async () => {
  const view = await readClusterView({ kubeconfig: '/nonexistent/k3s.yaml', clusterId: '' });
  assert.deepEqual(view, { unavailable: 'k3s is not up on this node (no kubeconfig at /nonexistent/k3s.yaml)' });
});

test('the cluster view read in a worker: the same answer, the worker gone once idle', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nucmesh-kube-'));
  const api = await fakeKubeApi('k3s-token-xyz');
  const reader = clusterViewReader({ idleMs: 200 });
  try {
    const q = { kubeconfig: await kubeconfig(dir, api.port, 'k3s-token-xyz'), clusterId: 'c1' };
    const [a, b] = await Promise.all([reader.read(q), reader.read(q)]);
    assert.deepEqual(a, await readClusterView(q));
    assert.deepEqual(b, a, 'two requests at once, one worker');
    assert.equal(reader.running(), true);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(reader.running(), false, 'ended after idleMs');
    assert.deepEqual(await reader.read(q), a, 'a later request starts another');
    const none = await reader.read({ kubeconfig: '/nonexistent/k3s.yaml', clusterId: '' });
    assert.ok('unavailable' in none);
  } finally {
    await reader.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
