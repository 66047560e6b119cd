/**
 * The cluster steps on fake ports (election, join, k3s) and a real data dir: the seed and joiner
 * paths, a crash at every step followed by a restart (same cluster, no second seed, no second
 * election once settled), k3s missing before any election, `reset --rejoin`, and no secret in
 * the log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runSteps } from '../../../src/node/steps.js';
import { NodeState } from '../../../src/node/node-state.js';
import { createLogger } from '../../../src/log.js';
import { newFleetConfig } from '../../../src/config/fleet.js';
import { clusterSteps } from '../../../src/cluster/cluster-sequence.js';
import type { ClusterContext } from '../../../src/cluster/cluster-context.js';
import {
  joinSecretFile,
  newClusterId,
  readClusterRecord,
  readJoinSecret,
  rejoinFile,
  seedTokensFile,
} from '../../../src/cluster/cluster-record.js';
import type {
  ClusterPeer,
  ClusterRole,
  Formation,
  JoinAnswer,
  K3sNodeParams,
  K3sRoleConfig,
} from '../../../src/cluster/ports.js';

const TOKEN = `K10${'ab'.repeat(32)}::node:s3cr3t-agent-token-value`;

interface World {
  peers: ClusterPeer[];
  formation: Formation;
  k3sInstalled: boolean;
  /** Throw (as a crash would stop the step) when this step's port call comes. */
  crashAt?: string;
  calls: string[];
  settled: boolean[];
  configured: K3sRoleConfig[];
  /** Answers the join port gives before it grants. */
  joinAnswers?: JoinAnswer[];
  /** Peers asked for a join, in order. */
  asked?: string[];
  /** The cluster the election says is gone. */
  revoked?: string;
}

function world(over: Partial<World> = {}): World {
  return {
    peers: [],
    formation: { kind: 'seed', clusterId: '' },
    k3sInstalled: true,
    calls: [],
    settled: [],
    configured: [],
    ...over,
  };
}

class Crash extends Error {}

function context(dataDir: string, w: World, lines: string[]): ClusterContext {
  const sink = new PassThrough();
  sink.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  const step = (name: string): void => {
    w.calls.push(name);
    if (w.crashAt === name) throw new Crash(`crash in ${name}`);
  };
  const node: K3sNodeParams = { nodeName: 'n1', nodeIp: '10.0.0.1', labels: { 'nucmesh.io/cpu': 'i5' }, tlsSans: [] };
  return {
    log: createLogger({ level: 'debug', format: 'json', destination: sink }),
    dataDir,
    nodeId: 'n1',
    config: newFleetConfig('lab'),
    state: new NodeState({ state: 'forming', clusterId: '' }),
    net: { peers: () => w.peers },
    election: {
      async settle(known) {
        step('settle');
        w.settled.push(known.committed);
        if (w.formation.kind === 'join') return w.formation;
        return { kind: 'seed', clusterId: known.committed ? known.clusterId : newClusterId('lab') };
      },
      revoked: (clusterId) => w.revoked === clusterId,
      done: () => w.calls.push('done'),
    },
    join: {
      async request(peer): Promise<JoinAnswer> {
        step('join');
        (w.asked ??= []).push(peer.nodeId);
        const next = w.joinAnswers?.shift();
        if (next) return next;
        return {
          kind: 'granted',
          secret: { role: 'agent', serverUrl: `https://${peer.address}:6443`, token: TOKEN, grantedBy: peer.nodeId },
        };
      },
    },
    k3s: {
      available: async () => w.k3sInstalled,
      async configure(config) {
        step('configure');
        w.configured.push(config);
      },
      async start(role: ClusterRole) {
        step(`start:${role}`);
      },
      async waitReady() {
        step('waitReady');
      },
      async ensureLabels() {
        step('labels');
      },
      async stop() {
        step('stop');
      },
      async wipe() {
        step('wipe');
      },
    },
    node,
    signal: new AbortController().signal,
  };
}

async function run(dataDir: string, w: World, lines: string[] = []): Promise<ClusterContext> {
  const ctx = context(dataDir, w, lines);
  await runSteps(dataDir, clusterSteps, ctx);
  return ctx;
}

const server = (nodeId: string, clusterId: string): ClusterPeer => ({
  nodeId,
  state: 'server',
  clusterId,
  address: '10.0.0.9',
  apiPort: 8443,
  k3sPort: 6443,
});

test('a seed makes its cluster and tokens, starts k3s as seed and ends as server of it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
  const w = world();
  const ctx = await run(dir, w);
  const record = await readClusterRecord(dir);
  assert.equal(record?.formation, 'seed');
  assert.equal(record?.everReady, true);
  assert.match(record?.clusterId ?? '', /^lab-[0-9a-f]{8}$/);
  assert.deepEqual(ctx.state.current, { state: 'server', clusterId: record?.clusterId, k3sPort: 6443 });
  assert.deepEqual(w.calls, ['settle', 'configure', 'start:seed', 'waitReady', 'labels', 'done']);
  assert.equal(w.configured[0]?.role, 'seed');
  assert.equal((await stat(seedTokensFile(dir))).mode & 0o777, 0o600);
});

test('a joiner asks a server of the cluster, keeps the answer 0600 and ends with the role it was given', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
  const w = world({ formation: { kind: 'join', clusterId: 'lab-c1', via: ['s1'] }, peers: [server('s1', 'lab-c1')] });
  const lines: string[] = [];
  const ctx = await run(dir, w, lines);
  assert.deepEqual(ctx.state.current, { state: 'agent', clusterId: 'lab-c1' });
  assert.deepEqual(w.configured[0], { role: 'agent', serverUrl: 'https://10.0.0.9:6443', token: TOKEN });
  assert.equal((await readJoinSecret(dir))?.grantedBy, 's1');
  assert.equal((await stat(joinSecretFile(dir))).mode & 0o777, 0o600);
  assert.ok(lines.length > 0);
  assert.ok(!lines.join('\n').includes('s3cr3t'), 'the token is never logged');
});

test('a crash at any step, then a restart: the same cluster, one election, one identity of the cluster', async () => {
  for (const crashAt of ['configure', 'start:seed', 'waitReady', 'labels']) {
    const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
    const w = world({ crashAt });
    await assert.rejects(run(dir, w), /crash in/);
    const before = await readClusterRecord(dir);
    w.crashAt = undefined;
    const ctx = await run(dir, w);
    const after = await readClusterRecord(dir);
    assert.equal(after?.clusterId, before?.clusterId, `after a crash in ${crashAt}`);
    assert.equal(ctx.state.current.state, 'server');
    // Crashed before Ready: the election ran again as a committed seed; after Ready it never runs.
    const readyBefore = before?.everReady === true;
    assert.deepEqual(w.settled, readyBefore ? [false] : [false, true], crashAt);
    await run(dir, w);
    assert.equal(w.settled.length, readyBefore ? 1 : 2, `no election once Ready (${crashAt})`);
  }
});

test('a joiner that crashed after its join does not ask again and keeps its role', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
  const w = world({
    formation: { kind: 'join', clusterId: 'lab-c1', via: ['s1'] },
    peers: [server('s1', 'lab-c1')],
    crashAt: 'start:agent',
  });
  await assert.rejects(run(dir, w));
  w.crashAt = undefined;
  await run(dir, w);
  assert.equal(w.calls.filter((c) => c === 'join').length, 1);
  assert.equal((await readClusterRecord(dir))?.clusterId, 'lab-c1');
});

test('a seed that never got Ready gives way to a cluster that formed meanwhile: its k3s state is wiped', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
  const w = world({ crashAt: 'waitReady' });
  await assert.rejects(run(dir, w));
  const seeded = await readClusterRecord(dir);
  Object.assign(w, {
    crashAt: undefined,
    formation: { kind: 'join', clusterId: 'lab-other', via: ['s2'] },
    peers: [server('s2', 'lab-other')],
    calls: [],
  });
  const ctx = await run(dir, w);
  assert.notEqual(seeded?.clusterId, 'lab-other');
  assert.deepEqual(w.calls.slice(0, 3), ['settle', 'stop', 'wipe']);
  assert.deepEqual(ctx.state.current, { state: 'agent', clusterId: 'lab-other' });
});

test('without k3s the node stops at check-k3s, before any election', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
  const w = world({ k3sInstalled: false });
  await assert.rejects(
    run(dir, w),
    (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'E_K3S_MISSING',
  );
  assert.deepEqual(w.calls, []);
  assert.equal(await readClusterRecord(dir), undefined);
});

test('reset --rejoin: the named cluster is joined without an election', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
  await writeFile(rejoinFile(dir), JSON.stringify({ version: 1, clusterId: 'lab-c2' }));
  const w = world({ peers: [server('s3', 'lab-c2')] });
  const ctx = await run(dir, w);
  assert.deepEqual(w.settled, []);
  assert.deepEqual(ctx.state.current, { state: 'agent', clusterId: 'lab-c2' });
});

test('a joiner told to wait asks again; told to ask the registrar, it asks that server first', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
  const w = world({
    formation: { kind: 'join', clusterId: 'lab-c1', via: ['s1'] },
    peers: [server('s1', 'lab-c1'), server('s2', 'lab-c1'), server('s3', 'lab-c1')],
    joinAnswers: [
      { kind: 'ask', nodeId: 's3' },
      { kind: 'wait', ms: 50 },
      { kind: 'failed', reason: 'unreachable' },
    ],
  });
  const ctx = await run(dir, w);
  // s1 names s3 as registrar; s3 says wait; then s3 is down, s1 grants.
  assert.deepEqual(w.asked, ['s1', 's3', 's3', 's1']);
  assert.equal(ctx.state.current.state, 'agent');
});

test('a joiner whose cluster vanished before it was up forgets it and takes part in the election again', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nm-cl-'));
  const w = world({ formation: { kind: 'join', clusterId: 'lab-dead', via: ['s9'] }, revoked: 'lab-dead' });
  await assert.rejects(
    run(dir, w),
    (err: Error & { cause?: { code?: string } }) => err.cause?.code === 'E_CLUSTER_GONE',
  );
  assert.equal(await readClusterRecord(dir), undefined);
  Object.assign(w, { formation: { kind: 'seed', clusterId: '' }, revoked: undefined });
  const ctx = await run(dir, w);
  assert.equal(ctx.state.current.state, 'server');
  assert.deepEqual(w.settled, [false, false]);
});
