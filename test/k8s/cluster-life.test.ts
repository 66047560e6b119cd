/**
 * nucmesh's cluster life on the real API server and controller manager (loopback), with hollow
 * kubelets as the nodes: the replacement keeper of two servers racing for the Lease replaces a
 * lost server exactly once; an agent refreshes its own labels and leaves with its kubelet
 * credentials (cordon, a drain a PodDisruptionBudget holds up, its Node deleted) as the Node
 * authorizer and NodeRestriction allow; a server whose leaving would break quorum is refused.
 * Skipped, saying what to install or run, when the parts are not built.
 */
import { after, before, describe, it as nodeIt, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLogger } from '../../src/log.js';
import { NodeState } from '../../src/node/node-state.js';
import { compareRank } from '../../src/cluster/election.js';
import { kubeApi, kubeApiFromFile, type KubeApi } from '../../src/cluster/kube-api.js';
import { ETCD_ROLE_LABEL, membersOf, NODE_ID_LABEL, type KubeNode } from '../../src/cluster/members.js';
import { createServerKeeper, markedForPromotion } from '../../src/cluster/server-keeper.js';
import { historyOf, readReplacementLease } from '../../src/cluster/replacement-lease.js';
import { checkLeave, leaveCluster } from '../../src/cluster/leave.js';
import { startClusterLife } from '../../src/cluster/cluster-life.js';
import { k8sPartsMissing } from '../k8s-parts/bins.js';
import { startControlPlane, type ControlPlane } from '../k8s-parts/control-plane.js';
import { waitForNodeCondition } from '../k8s-parts/hollow-node.js';
import { stopPart, waitFor } from '../k8s-parts/processes.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const skip = k8sPartsMissing();
const it = (name: string, fn: (t: TestContext) => Promise<void> | void): void => {
  nodeIt(name, { skip }, fn);
};
const log = createLogger({ level: process.env['NUCMESH_TEST_LOG'] ? 'debug' : 'silent' });
const graceSeconds = 20;
const NAMES = ['s1', 's2', 's3', 'a1', 'a2'] as const;

describe('cluster life on the real API server', { timeout: 420_000 }, () => {
  let cp!: ControlPlane;
  let admin!: KubeApi;
  const nodePath = (n: string) => `/api/v1/nodes/${n}`;
  const kubeletApi = (name: string) =>
    kubeApiFromFile(path.join(cp.dir, `node-${name}`, 'tmp', 'kubelet.kubeconfig'))();
  const nodes = async () => membersOf(await admin.get<{ items?: KubeNode[] }>('/api/v1/nodes'));

  before(async () => {
    if (skip) return;
    cp = await startControlPlane({ nodeMonitorGracePeriod: `${graceSeconds}s` });
    const pki = cp.pki;
    admin = kubeApi({
      server: cp.apiserver.endpoint.server,
      user: 'admin',
      ca: readFileSync(pki.ca.cert, 'utf8'),
      cert: readFileSync(pki.admin.cert, 'utf8'),
      key: readFileSync(pki.admin.key, 'utf8'),
    });
    for (const name of NAMES) await cp.addHollowNode(name, { [NODE_ID_LABEL]: `id-${name}`, 'nucmesh.io/disks': '1' });
    for (const name of NAMES)
      await waitForNodeCondition(cp.apiserver.admin, name, { timeoutMs: 120_000, watch: cp.parts() });
    // k3s gives servers their role labels through the API (a kubelet may not set them).
    for (const name of ['s1', 's2', 's3'])
      await admin.send('PATCH', nodePath(name), { metadata: { labels: { [ETCD_ROLE_LABEL]: 'true' } } });
  });
  after(async () => {
    const keepDir = process.exitCode !== undefined && process.exitCode !== 0;
    if (keepDir && cp) console.log(`# the parts' logs are kept in ${cp.dir}`);
    await cp?.stop({ keepDir });
  });

  it('a lost server is replaced once: two keepers race for the Lease, the Node goes, the best agent is marked', async (t) => {
    const abort = new AbortController();
    const policy = { servers: 3, replaceAfterMs: 2000, rank: compareRank([]) };
    const keepers = ['s1', 's2'].map((name) =>
      createServerKeeper({ nodeId: `id-${name}`, nodeName: name, policy, log, pollMs: 500, signal: abort.signal }),
    );
    let rounds = true;
    const loop = (async () => {
      while (rounds) {
        const members = await nodes();
        await Promise.all(keepers.map((k) => k.keep(admin, members)));
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      const s3 = cp.nodes.find((n) => n.name === 's3');
      assert.ok(s3);
      const killedAt = Date.now();
      await stopPart(s3.part);
      const marked = await waitFor(async () => markedForPromotion(admin, 'id-a1'), {
        timeoutMs: (graceSeconds + 60) * 1000,
        intervalMs: 500,
        what: 'a1 marked to become a server',
        watch: cp.parts(),
      });
      t.diagnostic(`a1 marked by ${marked} ${Math.round((Date.now() - killedAt) / 1000)} s after s3's kubelet stopped`);
      assert.ok(marked === 'id-s1' || marked === 'id-s2');
      assert.equal(await admin.get(nodePath('s3')), undefined, "the dead server's Node is deleted");
      assert.equal(await markedForPromotion(admin, 'id-a2'), undefined, 'only the best ranked agent');
      const lease = await readReplacementLease(admin);
      assert.equal(lease?.spec?.holderIdentity, marked === 'id-s1' ? 's1' : 's2', 'held while the promotion runs');
      // What k3s does once a1 runs `k3s server`: its Node carries the etcd role.
      await admin.send('PATCH', nodePath('a1'), { metadata: { labels: { [ETCD_ROLE_LABEL]: 'true' } } });
      const released = await waitFor(
        async () => {
          const l = await readReplacementLease(admin);
          return l?.spec?.holderIdentity === '' ? l : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: 'the Lease released' },
      );
      // More rounds: nothing else is replaced.
      await new Promise((r) => setTimeout(r, 4000));
      const history = historyOf(await readReplacementLease(admin));
      assert.equal(history.length, 1, JSON.stringify(history));
      assert.equal(history[0]?.dead, 's3');
      assert.equal(history[0]?.promoted, 'a1');
      assert.equal(history[0]?.outcome, 'server');
      assert.ok((released.spec?.leaseTransitions ?? 0) <= 1);
      const a1 = (await nodes()).find((m) => m.name === 'a1');
      assert.equal(a1?.promotedBy, undefined, 'the mark is removed once a1 is a server');
      assert.equal((await nodes()).filter((m) => m.server).length, 3);
    } finally {
      rounds = false;
      abort.abort();
      await loop;
      await Promise.all(keepers.map((k) => k.running));
    }
  });

  it("an agent refreshes its own labels with its kubelet's credentials: changed, added, stale ones removed", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'nucmesh-life-'));
    let wanted: Record<string, string> = {
      [NODE_ID_LABEL]: 'id-a2',
      'nucmesh.io/disks': '2',
      'nucmesh.io/tpm': 'true',
    };
    const life = startClusterLife({
      role: 'agent',
      clusterId: 'c-1',
      nodeName: 'a2',
      nodeId: 'id-a2',
      dataDir,
      servers: 3,
      api: () => kubeletApi('a2'),
      net: { peers: () => [] },
      state: new NodeState({ state: 'agent', clusterId: 'c-1' }),
      log,
      labels: () => Promise.resolve(wanted),
      labelRefreshMs: 0,
      intervalMs: 500,
    });
    try {
      const labelsOf = async () => (await admin.get<KubeNode>(nodePath('a2')))?.metadata?.labels ?? {};
      await waitFor(async () => ((await labelsOf())['nucmesh.io/disks'] === '2' ? true : undefined), {
        timeoutMs: 20_000,
        what: 'the new disk count on a2',
      });
      assert.equal((await labelsOf())['nucmesh.io/tpm'], 'true');
      wanted = { [NODE_ID_LABEL]: 'id-a2', 'nucmesh.io/disks': '2' };
      await waitFor(async () => ((await labelsOf())['nucmesh.io/tpm'] === undefined ? true : undefined), {
        timeoutMs: 20_000,
        what: 'the stale tpm label gone',
      });
      assert.equal((await labelsOf())['kubernetes.io/hostname'], 'a2', 'other labels are not touched');
      // Since Kubernetes 1.33 a node may read its own Node only: the agent's view is itself.
      assert.deepEqual(
        life.members()?.map((m) => m.name),
        ['a2'],
      );
    } finally {
      await life.stop();
    }
  });

  it('an agent leaves: cordoned, a PodDisruptionBudget holds the drain until it allows, then its Node is deleted', async () => {
    await waitFor(async () => admin.get('/api/v1/namespaces/default/serviceaccounts/default'), {
      timeoutMs: 30_000,
      what: 'the default ServiceAccount',
    });
    await admin.send('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      metadata: { name: 'web' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    });
    await admin.send('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'web-1', labels: { app: 'web' } },
      spec: {
        nodeName: 'a2',
        automountServiceAccountToken: false,
        containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }],
      },
    });
    await waitFor(
      async () =>
        (await admin.get<{ status?: { phase?: string } }>('/api/v1/namespaces/default/pods/web-1'))?.status?.phase ===
        'Running'
          ? true
          : undefined,
      { timeoutMs: 60_000, what: 'web-1 Running on a2' },
    );
    // The disruption controller has counted the pod as healthy: from now on the PDB holds evictions.
    await waitFor(
      async () =>
        (
          await admin.get<{ status?: { currentHealthy?: number; disruptionsAllowed?: number } }>(
            '/apis/policy/v1/namespaces/default/poddisruptionbudgets/web',
          )
        )?.status?.currentHealthy === 1
          ? true
          : undefined,
      { timeoutMs: 60_000, what: 'the PDB counting web-1 healthy' },
    );
    // A server's keeper deletes the Node once drained (a kubelet may not).
    const abort = new AbortController();
    const keeper = createServerKeeper({
      nodeId: 'id-s1',
      nodeName: 's1',
      policy: { servers: 3, replaceAfterMs: 3_600_000, rank: compareRank([]) },
      log,
      signal: abort.signal,
    });
    let rounds = true;
    const loop = (async () => {
      while (rounds) {
        await keeper.keep(admin, await nodes());
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const seen: string[] = [];
    const leaving = leaveCluster(await kubeletApi('a2'), {
      nodeName: 'a2',
      role: 'agent',
      log,
      pollMs: 500,
      drainTimeoutMs: 90_000,
      progress: (w) => seen.push(w),
    });
    leaving.catch(() => undefined);
    await waitFor(async () => (seen.some((w) => /held by a PodDisruptionBudget/.test(w)) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the drain held by the PDB',
    });
    const cordoned = await admin.get<KubeNode>(nodePath('a2'));
    assert.equal(cordoned?.spec?.unschedulable, true);
    assert.notEqual(await admin.get('/api/v1/namespaces/default/pods/web-1'), undefined, 'the PDB keeps the pod');
    await admin.send('DELETE', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/web');
    try {
      await leaving;
    } finally {
      rounds = false;
      abort.abort();
      await loop;
    }
    assert.equal(await admin.get(nodePath('a2')), undefined, 'its Node is deleted');
    assert.equal(await admin.get('/api/v1/namespaces/default/pods/web-1'), undefined, 'its pod evicted');
  });

  it('a server whose leaving would break quorum is refused, saying why', async () => {
    const s2 = cp.nodes.find((n) => n.name === 's2');
    assert.ok(s2);
    await stopPart(s2.part);
    await waitForNodeCondition(cp.apiserver.admin, 's2', {
      status: 'Unknown',
      timeoutMs: (graceSeconds + 40) * 1000,
      watch: cp.parts(),
    });
    await assert.rejects(checkLeave(admin, 's1', 'server'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'E_LEAVE_REFUSED');
      assert.match(e.message, /break etcd's quorum: 1 of the 2 remaining servers are Ready/);
      return true;
    });
    await assert.rejects(checkLeave(admin, 'nobody', 'server'), /not in the cluster's Node list/);
    assert.equal((await admin.get<KubeNode>(nodePath('s1')))?.spec?.unschedulable, undefined, 'nothing changed');
  });
});
