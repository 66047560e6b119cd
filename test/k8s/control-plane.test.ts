/**
 * The real upstream parts (built by scripts/k8s-test-bins.sh) run on loopback: etcd,
 * kube-apiserver, kube-controller-manager holding its leader Lease, and two hollow kubelets
 * (kubemark --morph=kubelet) whose Nodes turn Ready; once one is stopped, the node lifecycle
 * controller marks it unreachable and taints it NoExecute, and its pod is evicted; the garbage
 * collector deletes an orphaned dependent. Skipped, saying what to install or run, when the parts are not built.
 */
import { after, before, describe, it as nodeIt, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { k8sPartsMissing, readK8sVersions } from '../k8s-parts/bins.js';
import { nodeConditionStatus, type NodeObject } from '../k8s-parts/client.js';
import { startControlPlane, type ControlPlane } from '../k8s-parts/control-plane.js';
import { waitForNodeCondition } from '../k8s-parts/hollow-node.js';
import { memoryOf, stopPart, waitFor } from '../k8s-parts/processes.js';

const skip = k8sPartsMissing();

interface PodObject {
  metadata?: { deletionTimestamp?: string };
  status?: { phase?: string };
}

/** A pod bound to NODE that tolerates its node being unreachable for 1 s only. */
function evicteePod(node: string): Record<string, unknown> {
  return {
    metadata: { name: 'evictee' },
    spec: {
      nodeName: node,
      automountServiceAccountToken: false,
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }],
      tolerations: [
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 },
      ],
    },
  };
}
const graceSeconds = 20;

// Each test carries the skip (a skipped suite alone counts no skipped test in the summary).
const it = (name: string, fn: (t: TestContext) => Promise<void> | void): void => {
  nodeIt(name, { skip }, fn);
};

describe('real Kubernetes parts on loopback', { timeout: 300_000 }, () => {
  let cp!: ControlPlane; // set by before() unless skipped
  before(async () => {
    if (skip) return;
    cp = await startControlPlane({ nodeMonitorGracePeriod: `${graceSeconds}s` });
  });
  after(async () => {
    // On failure keep the logs for a look.
    const keepDir = process.exitCode !== undefined && process.exitCode !== 0;
    if (keepDir && cp) console.log(`# the parts' logs are kept in ${cp.dir}`);
    await cp?.stop({ keepDir });
  });

  it('serves the pinned Kubernetes version', async () => {
    const version = await cp.apiserver.admin.get<{ gitVersion: string }>('/version');
    assert.equal(version?.gitVersion, readK8sVersions().kubernetes);
  });

  it('elects a kube-controller-manager leader', () => {
    assert.match(cp.controllerManager.leader, /.+_[0-9a-f-]{36}$/);
  });

  it('registers hollow kubelets whose Nodes become Ready', async (t) => {
    // Two: with every Node of a zone NotReady the node lifecycle controller stops tainting
    // ("master disruption mode"), so the test after this one needs a second Node that stays Ready.
    const hollow = await cp.addHollowNode('hollow-1', { 'nucmesh.test/role': 'worker' });
    await cp.addHollowNode('hollow-2');
    for (const name of ['hollow-1', 'hollow-2']) {
      const node = await waitForNodeCondition(cp.apiserver.admin, name, { timeoutMs: 120_000, watch: cp.parts() });
      assert.equal(node.status?.nodeInfo?.kubeletVersion, readK8sVersions().kubernetes);
    }
    const holder = await waitFor(
      async () =>
        (
          await cp.apiserver.admin.get<{ spec?: { holderIdentity?: string } }>(
            '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-1',
          )
        )?.spec?.holderIdentity,
      { timeoutMs: 30_000, what: 'the Lease of hollow-1', watch: cp.parts() },
    );
    assert.equal(holder, 'hollow-1');
    for (const part of cp.parts()) {
      const m = memoryOf(part.pid);
      t.diagnostic(`${part.name}: RSS ${Math.round(m.rssKiB / 1024)} MiB (peak ${Math.round(m.peakKiB / 1024)} MiB)`);
    }
    assert.ok(hollow.part.exit() === undefined, 'kubemark still runs');
  });

  it('marks a Node unreachable, taints it and evicts its pod once its kubelet is gone', async () => {
    const hollow = cp.nodes.find((n) => n.name === 'hollow-1');
    assert.ok(hollow, 'the hollow node of the test before');
    const api = cp.apiserver.admin;
    const podPath = '/api/v1/namespaces/default/pods/evictee';
    // The default ServiceAccount (made by the controller manager) must exist before a pod.
    await waitFor(async () => api.get('/api/v1/namespaces/default/serviceaccounts/default'), {
      timeoutMs: 30_000,
      what: 'the default ServiceAccount',
    });
    const created = await api.call('POST', '/api/v1/namespaces/default/pods', evicteePod('hollow-1'));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor(async () => ((await api.get<PodObject>(podPath))?.status?.phase === 'Running' ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the pod Running on hollow-1 (fake runtime)',
      watch: cp.parts(),
    });
    await stopPart(hollow.part);
    const node = await waitForNodeCondition(cp.apiserver.admin, 'hollow-1', {
      status: 'Unknown',
      timeoutMs: (graceSeconds + 40) * 1000,
      watch: cp.parts(),
    });
    assert.equal(nodeConditionStatus(node), 'Unknown');
    const tainted = await waitFor(
      async () => {
        const now = await cp.apiserver.admin.get<NodeObject>('/api/v1/nodes/hollow-1');
        const unreachable = now?.spec?.taints?.filter((taint) => taint.key === 'node.kubernetes.io/unreachable');
        return unreachable?.some((taint) => taint.effect === 'NoExecute') ? unreachable : undefined;
      },
      { timeoutMs: 30_000, what: 'the unreachable:NoExecute taint (evicts pods)', watch: cp.parts() },
    );
    assert.deepEqual(tainted.map((taint) => taint.effect).sort(), ['NoExecute', 'NoSchedule']);
    const other = await cp.apiserver.admin.get<NodeObject>('/api/v1/nodes/hollow-2');
    assert.equal(other && nodeConditionStatus(other), 'True', 'the other Node stays Ready');
    // Its toleration of the taint lasts 1 s: then the taint eviction controller deletes it (it
    // stays Terminating: no kubelet confirms).
    await waitFor(async () => ((await api.get<PodObject>(podPath))?.metadata?.deletionTimestamp ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the eviction of the pod on hollow-1',
      watch: cp.parts(),
    });
  });

  it('garbage-collects a dependent whose owner is deleted', async () => {
    const api = cp.apiserver.admin;
    const base = '/api/v1/namespaces/default/configmaps';
    const owner = await api.call('POST', base, { metadata: { name: 'gc-owner' } });
    assert.equal(owner.status, 201, JSON.stringify(owner.body));
    const uid = (owner.body as { metadata: { uid: string } }).metadata.uid;
    const ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gc-owner', uid }];
    const dependent = await api.call('POST', base, { metadata: { name: 'gc-dependent', ownerReferences } });
    assert.equal(dependent.status, 201, JSON.stringify(dependent.body));
    assert.equal((await api.call('DELETE', `${base}/gc-owner`)).status, 200);
    await waitFor(async () => ((await api.get(`${base}/gc-dependent`)) === undefined ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the garbage collector deleting gc-dependent',
      watch: cp.parts(),
    });
  });
});
