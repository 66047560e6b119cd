import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/log.js';
import { NucmeshError } from '../../../src/errors.js';
import { NodeState } from '../../../src/node/node-state.js';
import { knownServersFile, startClusterLife, serversAlive } from '../../../src/cluster/cluster-life.js';
import type { KubeApi } from '../../../src/cluster/kube-api.js';
import { ETCD_ROLE_LABEL, NODE_ID_LABEL, PROMOTE_ANNOTATION, type KubeNode } from '../../../src/cluster/members.js';
import type { ClusterPeer } from '../../../src/cluster/ports.js';

const log = createLogger({ level: 'silent' });
const node = (name: string, server: boolean, annotations: Record<string, string> = {}): KubeNode => ({
  metadata: {
    name,
    labels: { [NODE_ID_LABEL]: `id-${name}`, ...(server ? { [ETCD_ROLE_LABEL]: 'true' } : {}) },
    annotations,
  },
  status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-02T00:00:00Z' }] },
});
const peer = (nodeId: string, state: ClusterPeer['state'] = 'server'): ClusterPeer => ({
  nodeId,
  state,
  clusterId: 'c-1',
  address: '10.0.0.1',
  apiPort: 8443,
});

/** An API that answers with `nodes` until `down` is set, then fails as an unreachable server does. */
function fakeApi(nodes: KubeNode[]) {
  const api = {
    down: false,
    patches: [] as unknown[],
    get: async <T>(p: string): Promise<T | undefined> => {
      if (api.down) throw new NucmeshError('E_KUBE_API', `GET ${p}: connect ECONNREFUSED`);
      if (p === '/api/v1/nodes') return { items: nodes } as T;
      return nodes.find((n) => p.endsWith(`/${n.metadata?.name ?? ''}`)) as T | undefined;
    },
    send: async <T>(_m: string, _p: string, body?: unknown): Promise<T | undefined> => {
      api.patches.push(body);
      return undefined;
    },
    user: 'test',
  };
  return api;
}

async function lifeOf(role: 'server' | 'agent', api: ReturnType<typeof fakeApi>, peers: ClusterPeer[], more = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'nucmesh-life-'));
  const clock = { t: 1_000_000 };
  const state = new NodeState({ state: role, clusterId: 'c-1', ...(role === 'server' ? { k3sPort: 6443 } : {}) });
  const life = startClusterLife({
    role,
    clusterId: 'c-1',
    nodeName: role === 'server' ? 's1' : 'a1',
    nodeId: role === 'server' ? 'id-s1' : 'id-a1',
    dataDir,
    servers: 3,
    api: async () => api as unknown as KubeApi,
    net: { peers: () => peers },
    state,
    log,
    labels: async () => ({}),
    intervalMs: 3_600_000,
    quorumLostAfterMs: 30_000,
    now: () => clock.t,
    ...more,
  });
  return { life, state, clock, dataDir };
}

test('a server reports quorum-lost once the API is silent and most servers it knew are gone; back when it answers', async () => {
  const api = fakeApi([node('s1', true), node('s2', true), node('s3', true), node('a1', false)]);
  const peers = [peer('id-s2'), peer('id-s3'), peer('id-a1', 'agent')];
  const { life, state, clock, dataDir } = await lifeOf('server', api, peers);
  await life.tick();
  const known = JSON.parse(await readFile(knownServersFile(dataDir), 'utf8')) as { servers: { name: string }[] };
  assert.deepEqual(
    known.servers.map((s) => s.name),
    ['s1', 's2', 's3'],
  );
  api.down = true;
  peers.splice(0, 2); // s2 and s3 gone from the LAN
  clock.t += 10_000;
  await life.tick();
  assert.equal(state.current.state, 'server', 'not before quorumLostAfter');
  clock.t += 25_000;
  await life.tick();
  assert.equal(state.current.state, 'quorum-lost');
  assert.match(state.current.detail ?? '', /2 of 3 servers gone \(s2, s3\).*--cluster-reset/);
  api.down = false;
  await life.tick();
  assert.equal(state.current.state, 'server');
  assert.equal(state.current.k3sPort, 6443, 'advertised as a server again, with its k3s port');
  await life.stop();
});

test('a silent API with most servers still alive is no quorum loss (the local k3s may just restart)', async () => {
  const api = fakeApi([node('s1', true), node('s2', true), node('s3', true)]);
  const peers = [peer('id-s2'), peer('id-s3')];
  const { life, state, clock } = await lifeOf('server', api, peers);
  await life.tick();
  api.down = true;
  peers.pop();
  clock.t += 60_000;
  await life.tick();
  assert.equal(state.current.state, 'server', '2 of 3 alive');
  await life.stop();
});

test('an agent judges quorum by the servers of its cluster it sees, against the fleet servers', async () => {
  const api = fakeApi([node('a1', false)]);
  const peers = [peer('id-s1'), peer('id-s2', 'quorum-lost'), peer('id-s3')];
  const { life, state, clock } = await lifeOf('agent', api, peers);
  await life.tick();
  assert.deepEqual(
    life.members()?.map((m) => m.name),
    ['a1'],
  );
  api.down = true;
  peers.splice(1, 2);
  clock.t += 31_000;
  await life.tick();
  assert.equal(state.current.state, 'quorum-lost');
  assert.match(state.current.detail ?? '', /2 of 3 servers gone/);
  await life.stop();
});

test('an agent whose Node a server marked hands over to onPromote, once', async () => {
  const api = fakeApi([node('a1', false, { [PROMOTE_ANNOTATION]: 'id-s2' })]);
  const promoted: string[] = [];
  const { life } = await lifeOf('agent', api, [], { onPromote: (by: string) => promoted.push(by) });
  await life.tick();
  await life.tick();
  assert.deepEqual(promoted, ['id-s2']);
  await life.stop();
});

test('serversAlive: a server counts itself and the known servers whose hosts answer', () => {
  const known = [
    { name: 's1', nodeId: 'id-s1' },
    { name: 's2', nodeId: 'id-s2' },
    { name: 's3', nodeId: 'id-s3' },
  ];
  const self = { nodeId: 'id-s1', role: 'server' as const, clusterId: 'c-1', servers: 3 };
  assert.deepEqual(serversAlive(known, [peer('id-s3', 'quorum-lost')], self), { alive: ['s1', 's3'], of: 3 });
});
