/**
 * The cluster's life on the real Kubernetes parts: seven `nucmesh agent`s in network namespaces,
 * each with the k3s stand-in running real etcd, kube-apiserver, kube-controller-manager (servers)
 * and the hollow kubelet (every node). In one cluster's life, in order:
 *  - formation: 7 Ready Nodes with their hardware labels, 3 with k3s' server role labels, 3 started
 *    voting etcd members;
 *  - label refresh: a node's hardware changes (another capture), its Node's labels follow;
 *  - `nucmesh leave` from an agent (its Node goes, the node is `left`) and from a server (its etcd
 *    member goes; the cluster, short of a server, promotes the best agent);
 *  - every process of the seed killed: after `servers.replaceAfterSeconds` an agent is promoted,
 *    etcd has 3 voting members again, the dead Node is gone, the Lease history has one entry each;
 *  - two servers killed at once: `quorum-lost` on the survivors, the last agent not promoted;
 *  - `nucmesh leave` on the last server of a cluster (another fleet's, with one server) is refused.
 * Skipped, saying why, without root, the shared captures or the built parts.
 */
import { after, before, describe, it as nodeIt, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderFleetConfig } from '../../src/config/fleet.js';
import { detectInventory } from '../../src/firstboot/hardware/index.js';
import { nodeLabels } from '../../src/firstboot/labels.js';
import { historyOf, REPLACEMENT_LEASE, type LeaseObject } from '../../src/cluster/replacement-lease.js';
import { k8sBinDir, k8sPartsMissing } from '../k8s-parts/bins.js';
import { cliPath, hardwareFixturesDir, sharedFixturesMissing } from '../helpers/paths.js';
import { standInBin } from '../helpers/k3s-stand-in.js';
import { waitFor, type Spawned } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { kubeInNetns, type KubeInNetns } from './kube-in-netns.js';

const fx = labFixture({ fleet: 'life', subnet: '10.64.0', needs: [sharedFixturesMissing, () => k8sPartsMissing()] });
const skip = fx.skip;
const it = (name: string, fn: (t: TestContext) => Promise<void> | void): void => {
  nodeIt(name, { skip }, fn);
};

const HOSTS = ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7'] as const;
type Host = (typeof HOSTS)[number];
const CAPTURES: Record<Host, string> = {
  l1: 'intel-nuc11atkc4',
  l2: 'intel-nuc11pahi5',
  l3: 'intel-nuc12wshi5',
  l4: 'intel-nuc13anhi7',
  l5: 'intel-nuc8i5beh',
  l6: 'intel-nuc7i5bnh',
  l7: 'intel-nuc12dcmi9',
};
/** What the relabelled node's hardware becomes. */
const NEW_CAPTURE = 'intel-nuc13rngi9';
const REPLACE_AFTER_S = 10;
const GRACE_S = 16;
const ROLES = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/etcd'];

interface KNode {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}
const ready = (n: KNode) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const isServer = (n: KNode) => n.metadata.labels?.['node-role.kubernetes.io/etcd'] === 'true';

describe('the cluster life of seven NUCs on the real parts', { timeout: 1_200_000 }, () => {
  let kube!: KubeInNetns;
  let captures = '';
  const agents = new Map<Host, Spawned>();
  const dataDir = (h: Host) => path.join(fx.fleet.dir, h);
  const k3sDir = (h: Host) => path.join(dataDir(h), 'k3s');
  const stateOf = (h: Host): { state: string; clusterId: string; detail?: string } | undefined => {
    try {
      return JSON.parse(readFileSync(path.join(dataDir(h), 'node-state.json'), 'utf8')) as {
        state: string;
        clusterId: string;
        detail?: string;
      };
    } catch {
      return undefined;
    }
  };
  const formationOf = (h: Host): string | undefined => {
    const f = path.join(dataDir(h), 'cluster.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { formation: string }).formation : undefined;
  };
  const nameOf = (h: Host): string =>
    (JSON.parse(readFileSync(path.join(dataDir(h), 'identity.json'), 'utf8')) as { hostname: string }).hostname;
  const hostOf = (name: string): Host => HOSTS.find((h) => nameOf(h) === name) as Host;
  const killed = new Set<Host>();
  const live = () => HOSTS.filter((h) => !killed.has(h) && stateOf(h)?.state === 'server');
  /** An admin request through a live server. */
  async function admin(method: string, apiPath: string, body?: unknown) {
    const via = live()[0];
    assert.ok(via, 'a live server');
    return kube.request(via, path.join(k3sDir(via), 'etc/k3s.yaml'), method, apiPath, body);
  }
  async function nodes(): Promise<KNode[]> {
    const r = await admin('GET', '/api/v1/nodes');
    if (r.status !== 200) throw new Error(`GET /api/v1/nodes: ${r.status} ${JSON.stringify(r.body)}`);
    return (r.body as { items: KNode[] }).items;
  }
  const voting = async () => {
    const via = live()[0] as Host;
    return (await kube.etcdMembers(via, path.join(k3sDir(via), 'data'))).filter((m) => !m.isLearner && m.name);
  };
  const history = async () => {
    const l = await admin(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${REPLACEMENT_LEASE.namespace}/leases/${REPLACEMENT_LEASE.name}`,
    );
    return historyOf(l.status === 200 ? (l.body as LeaseObject) : undefined);
  };
  function killAll(h: Host): void {
    killed.add(h);
    try {
      fx.lab.killAllIn(h);
    } catch {
      // no such host (yet)
    }
  }
  /** `nucmesh leave --yes` inside H's namespace, against its own API on loopback. */
  const leave = (h: Host) =>
    fx.lab.run(h, process.execPath, [cliPath, 'leave', '--yes', '--token', fx.fleet.config.api.tokens.admin], 300_000);

  /** A one-server cluster of its own fleet, on host l8: the last server. */
  let solo!: ReturnType<typeof fx.newFleet>;
  const soloState = (): { state: string } | undefined => {
    try {
      return JSON.parse(readFileSync(path.join(solo.dir, 'l8', 'node-state.json'), 'utf8')) as { state: string };
    } catch {
      return undefined;
    }
  };

  before(async () => {
    if (skip) return;
    kube = kubeInNetns(fx.lab);
    const config = {
      ...fx.fleet.config,
      servers: { count: 3, replaceAfterSeconds: REPLACE_AFTER_S },
      k3s: {
        ...fx.fleet.config.k3s,
        serverArgs: [`--kube-controller-manager-arg=node-monitor-grace-period=${GRACE_S}s`],
      },
    };
    execFileSync('sh', ['-c', 'cat > "$0"', fx.fleet.file], { input: renderFleetConfig(config) });
    // The relabelled node's capture is a copy the test can change under it.
    captures = mkdtempSync(path.join(tmpdir(), 'nucmesh-captures-'));
    cpSync(path.join(hardwareFixturesDir, CAPTURES.l7), path.join(captures, 'l7'), { recursive: true });
    fx.addHosts(HOSTS);
    for (const h of HOSTS) {
      const hw = h === 'l7' ? path.join(captures, 'l7') : path.join(hardwareFixturesDir, CAPTURES[h]);
      const args = [
        ...['--hardware-from', hw, '--interface', 'eth0', '--inventory-refresh-seconds', h === 'l7' ? '2' : '300'],
        ...['--k3s-mode', 'child', '--k3s-bin', standInBin],
        ...['--k3s-config', path.join(k3sDir(h), 'etc/config.yaml'), '--k3s-data-dir', path.join(k3sDir(h), 'data')],
        ...['--k3s-kubeconfig', path.join(k3sDir(h), 'etc/k3s.yaml')],
      ];
      agents.set(h, fx.startAgent(h, args, { K3S_STANDIN_K8S_BINS: k8sBinDir() }));
    }
    solo = fx.newFleet('solo');
    execFileSync('sh', ['-c', 'cat > "$0"', solo.file], { input: renderFleetConfig({ ...solo.config, servers: 1 }) });
    fx.addHost('l8');
    const soloK3s = path.join(solo.dir, 'l8', 'k3s');
    fx.lab.spawn(
      'l8',
      process.execPath,
      [
        ...[cliPath, 'agent', '--fleet', solo.file, '--data-dir', path.join(solo.dir, 'l8')],
        ...['--hardware-from', path.join(hardwareFixturesDir, 'intel-nuc9vxqnx'), '--interface', 'eth0'],
        ...['--k3s-mode', 'child', '--k3s-bin', standInBin],
        ...['--k3s-config', path.join(soloK3s, 'etc/config.yaml'), '--k3s-data-dir', path.join(soloK3s, 'data')],
        ...['--k3s-kubeconfig', path.join(soloK3s, 'etc/k3s.yaml')],
      ],
      { NUCMESH_LOG_FORMAT: 'json', K3S_STANDIN_K8S_BINS: k8sBinDir() },
    );
  });
  after(async () => {
    // The stand-in's parts (etcd, kube-apiserver, kubemark) are no children of the lab: by namespace.
    if (!skip) for (const h of [...HOSTS, 'l8' as Host]) killAll(h);
    kube?.cleanup();
    if (captures) rmSync(captures, { recursive: true, force: true });
  });

  it('forms one cluster: 7 Ready Nodes with hardware labels, 3 servers with role labels, 3 voting etcd members', async (t) => {
    const t0 = Date.now();
    await waitFor(
      'all seven members',
      () => HOSTS.every((h) => ['server', 'agent'].includes(stateOf(h)?.state ?? '')) || undefined,
      600_000,
      1000,
    );
    const all = await waitFor(
      'seven Ready Nodes',
      async () => {
        const n = await nodes().catch(() => []);
        return n.length === 7 && n.every(ready) ? n : undefined;
      },
      300_000,
      1000,
    );
    t.diagnostic(`all 7 Nodes Ready ${((Date.now() - t0) / 1000).toFixed(1)} s after the last start`);
    for (const n of all) {
      const h = hostOf(n.metadata.name);
      const want = nodeLabels(await detectInventory({ from: path.join(hardwareFixturesDir, CAPTURES[h]) }));
      for (const [k, v] of Object.entries(want)) assert.equal(n.metadata.labels?.[k], v, `${h} ${k}`);
      assert.ok(n.metadata.labels?.['nucmesh.io/node-id'], `${h} carries its node ID`);
    }
    const servers = all.filter(isServer);
    assert.equal(servers.length, 3);
    for (const s of servers)
      for (const r of ROLES) assert.equal(s.metadata.labels?.[r], 'true', `${s.metadata.name} ${r}`);
    assert.deepEqual(
      servers.map((s) => stateOf(hostOf(s.metadata.name))?.state),
      ['server', 'server', 'server'],
    );
    const members = await voting();
    assert.equal(members.length, 3, JSON.stringify(members));
  });

  it("a node's hardware changes: its Node's labels follow (changed, added, stale ones removed)", async () => {
    const before = nodeLabels(await detectInventory({ from: path.join(captures, 'l7') }));
    rmSync(path.join(captures, 'l7'), { recursive: true });
    cpSync(path.join(hardwareFixturesDir, NEW_CAPTURE), path.join(captures, 'l7'), { recursive: true });
    const after = nodeLabels(await detectInventory({ from: path.join(captures, 'l7') }));
    assert.notDeepEqual(after, before, 'the two captures differ');
    const name = nameOf('l7');
    await waitFor(
      'the labels of the new hardware on the Node',
      async () => {
        const n = (await nodes()).find((x) => x.metadata.name === name);
        const ours = Object.fromEntries(
          Object.entries(n?.metadata.labels ?? {}).filter(
            ([k]) => k.startsWith('nucmesh.io/') && k !== 'nucmesh.io/node-id',
          ),
        );
        return JSON.stringify(ours, Object.keys(ours).sort()) === JSON.stringify(after, Object.keys(after).sort())
          ? true
          : undefined;
      },
      60_000,
      1000,
    );
  });

  it('an agent leaves: its Node is deleted and the node is left', async () => {
    const h = HOSTS.find((x) => x !== 'l7' && stateOf(x)?.state === 'agent') as Host;
    const r = await leave(h);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(stateOf(h)?.state, 'left');
    assert.ok(!(await nodes()).some((n) => n.metadata.name === nameOf(h)), 'its Node is gone');
    killed.add(h);
  });

  it('a server leaves: its etcd member goes, and an agent becomes the third server', async () => {
    const h = live().find((x) =>
      readFileSync(path.join(dataDir(x), 'cluster.json'), 'utf8').includes('"join"'),
    ) as Host;
    const r = await leave(h);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(stateOf(h)?.state, 'left');
    killed.add(h);
    assert.ok(!(await voting()).some((m) => m.name?.startsWith(nameOf(h))), 'its etcd member is removed');
    await waitFor(
      'three voting members again, the promotion recorded',
      async () => ((await voting().catch(() => [])).length === 3 && (await history()).length === 1 ? true : undefined),
      240_000,
      2000,
    );
    const h1 = await history();
    assert.equal(h1.length, 1, JSON.stringify(h1));
    assert.equal(h1[0]?.dead, undefined, 'a missing server filled: nothing deleted');
    assert.equal(h1[0]?.outcome, 'server');
  });

  it('every process of the seed killed: an agent is promoted within the bound, once', async (t) => {
    const seed = HOSTS.find((x) => formationOf(x) === 'seed');
    assert.ok(seed && live().includes(seed), 'the seed is a live server');
    const seedName = nameOf(seed);
    const t0 = Date.now();
    killAll(seed);
    // NotReady after the grace period, then replaceAfterSeconds, then a join as a server.
    const boundMs = (GRACE_S + REPLACE_AFTER_S + 120) * 1000;
    await waitFor(
      'the dead Node gone and three voting members',
      async () => {
        const n = await nodes().catch(() => undefined);
        if (!n || n.some((x) => x.metadata.name === seedName)) return undefined;
        const v = await voting().catch(() => []);
        if (v.length !== 3 || n.filter((x) => isServer(x) && ready(x)).length !== 3) return undefined;
        return (await history()).some((e) => e.dead === seedName && e.outcome === 'server') || undefined;
      },
      boundMs,
      2000,
    );
    t.diagnostic(`seed replaced ${((Date.now() - t0) / 1000).toFixed(1)} s after it was killed`);
    const h = await history();
    assert.equal(h.length, 2, JSON.stringify(h));
    assert.equal(h[1]?.dead, seedName);
    assert.equal(h[1]?.outcome, 'server');
  });

  it('two servers killed at once: quorum-lost on the survivors, with the recovery, and nobody is promoted', async () => {
    const [first, second, survivor] = live();
    assert.ok(first && second && survivor);
    const agent = HOSTS.find((x) => !killed.has(x) && stateOf(x)?.state === 'agent') as Host;
    assert.ok(agent, 'an agent is left');
    // Only what the survivors log from now on counts (the seed's replacement before is logged too).
    const logged = (h: Host) => agents.get(h)?.stdout() ?? '';
    const from = { agent: logged(agent).length, survivor: logged(survivor).length };
    killAll(first);
    killAll(second);
    await waitFor(
      'quorum-lost on the survivor and the agent',
      () => (stateOf(survivor)?.state === 'quorum-lost' && stateOf(agent)?.state === 'quorum-lost') || undefined,
      120_000,
      1000,
    );
    assert.match(stateOf(survivor)?.detail ?? '', /2 of 3 servers gone.*cluster-reset/);
    const log = logged(agent).slice(from.agent) + logged(survivor).slice(from.survivor);
    assert.match(log, /etcd lost quorum/, 'the survivors say so in their logs');
    assert.ok(!/to replace a lost server|replacing lost server/.test(log), 'no promotion was attempted');
    assert.ok(!existsSync(path.join(dataDir(agent), 'rejoin.json')), 'the agent never started to become a server');
  });

  it('leave is refused on the last server of a cluster, saying why, and changes nothing', async () => {
    await waitFor('the solo server', () => (soloState()?.state === 'server' ? true : undefined), 300_000, 1000);
    const r = await fx.lab.run(
      'l8',
      process.execPath,
      [cliPath, 'leave', '--yes', '--token', solo.config.api.tokens.admin],
      60_000,
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /last server of the cluster/);
    assert.equal(soloState()?.state, 'server');
  });
});
