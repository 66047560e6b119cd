/**
 * The k3s stand-in on the real Kubernetes parts (K3S_STANDIN_K8S_BINS): three servers (a seed and two
 * that join) and one agent, each in its own network namespace, run the stand-in directly. Real etcd
 * takes the joiners one at a time (a learner that cannot reach the leader's peer port is not promoted,
 * and the next joiner waits with k3s' message); the API (watches too) lists 4 Ready Nodes with their
 * node-labels, the servers with k3s' role labels; a kubelet's kubeconfig is system:node:NAME and may
 * patch its own Node only, and a second agent of that name with another node password is refused; a
 * server killed by SIGKILL takes its parts along and the agent's load balancer moves to another server;
 * deleting the dead server's Node removes its etcd member; SIGTERM stops every part. Skipped, saying
 * why, without root or the built parts.
 */
import { after, before, describe, it as nodeIt, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { k8sBinDir, k8sPartsMissing, partPath } from '../k8s-parts/bins.js';
import { memoryOf } from '../k8s-parts/processes.js';
import { standInBin } from '../helpers/k3s-stand-in.js';
import { NetnsLab, netnsAvailable, nftUnavailable, waitFor, type Spawned } from './harness.js';

const skip = netnsAvailable() || k8sPartsMissing() || nftUnavailable();
const it = (name: string, fn: (t: TestContext) => Promise<void> | void): void => {
  nodeIt(name, { skip }, fn);
};

const SUBNET = '10.88.0';
const HOSTS = { s1: 1, s2: 2, s3: 3, a1: 4 } as const;
type Host = keyof typeof HOSTS;
const ip = (h: Host) => `${SUBNET}.${HOSTS[h]}`;
const seedUrl = `https://${ip('s1')}:6443`;
const LABEL = 'nucmesh.io/test';
const ROLE_LABELS = ['control-plane', 'etcd', 'master'].map((r) => `node-role.kubernetes.io/${r}`);
const START_MS = 120_000;

interface NodeItem {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}

describe('the k3s stand-in on real parts, 3 servers and an agent in namespaces', { timeout: 300_000 }, () => {
  let lab!: NetnsLab;
  let root = '';
  const procs = new Map<Host, Spawned>();
  const dir = (h: Host) => path.join(root, h);
  const log = (h: Host) => procs.get(h)?.stderr() ?? '';

  function start(h: Host, role: 'server' | 'agent', extra: string[], env: NodeJS.ProcessEnv = {}): Spawned {
    const config = path.join(dir(h), 'config.yaml');
    mkdirSync(`${config}.d`, { recursive: true });
    writeFileSync(config, `node-label:\n  - ${LABEL}=yes\n`);
    const args = [role, '--config', config, '--data-dir', path.join(dir(h), 'data'), '--node-name', h];
    args.push('--node-ip', ip(h));
    if (role === 'server') args.push('--write-kubeconfig', path.join(dir(h), 'k3s.yaml'));
    const s = lab.spawn(h, standInBin, [...args, ...extra], { K3S_STANDIN_K8S_BINS: k8sBinDir(), ...env });
    procs.set(h, s);
    return s;
  }

  const upAndRunning = (h: Host, text: string) =>
    waitFor(
      `${h}: ${text}`,
      () => {
        const p = procs.get(h);
        if (p?.child.exitCode !== null) throw new Error(`${h} exited:\n${log(h).slice(-3000)}`);
        return log(h).includes(text);
      },
      START_MS,
      200,
    );

  /** The PID of a part from the stand-in's "Running <part> (pid N)" line. */
  const pidOf = (h: Host, part: string): number => {
    const m = new RegExp(`Running ${part} \\(pid (\\d+)\\)`).exec(log(h));
    assert.ok(m?.[1], `${h} runs ${part}`);
    return Number(m[1]);
  };

  /** A request with the client certificate of KUBECONFIG, from inside H's namespace (curl). */
  async function api(h: Host, kubeconfig: string, method: string, apiPath: string, body?: unknown) {
    const kc = parse(readFileSync(kubeconfig, 'utf8')) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: Record<string, string> }[];
    };
    const cluster = kc.clusters[0]?.cluster ?? {};
    const user = kc.users[0]?.user ?? {};
    const file = (data: string | undefined, named: string | undefined, name: string): string => {
      if (named) return named;
      const f = path.join(root, `${h}-${path.basename(kubeconfig)}-${name}`);
      writeFileSync(f, Buffer.from(data ?? '', 'base64'), { mode: 0o600 });
      return f;
    };
    const ca = file(cluster['certificate-authority-data'], cluster['certificate-authority'], 'ca');
    const cert = file(user['client-certificate-data'], user['client-certificate'], 'cert');
    const key = file(user['client-key-data'], user['client-key'], 'key');
    const args = ['-s', '--cacert', ca, '--cert', cert, '--key', key, '-X', method, '-w', '\n%{http_code}'];
    if (body !== undefined) {
      const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      args.push('-H', `content-type: ${type}`, '--data-binary', JSON.stringify(body));
    }
    const r = await lab.run(h, 'curl', [...args, `${cluster['server']}${apiPath}`]);
    const cut = r.stdout.lastIndexOf('\n');
    const text = r.stdout.slice(0, cut);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: Number(r.stdout.slice(cut + 1)), body: parsed };
  }
  /** The admin kubeconfig of server H (s1 until it is killed). */
  let via: Host = 's1';
  const admin = (method: string, apiPath: string, body?: unknown) =>
    api(via, path.join(dir(via), 'k3s.yaml'), method, apiPath, body);

  async function members(): Promise<{ name?: string; ID: string; isLearner?: boolean }[]> {
    const tls = path.join(dir(via), 'data/server/tls/etcd');
    const r = await lab.run(via, partPath('etcdctl'), [
      ...['--endpoints=https://127.0.0.1:2379', `--cacert=${tls}/server-ca.crt`],
      ...[`--cert=${tls}/client.crt`, `--key=${tls}/client.key`, 'member', 'list', '-w', 'json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { members: { name?: string; ID: string; isLearner?: boolean }[] }).members;
  }

  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  const nft = (h: Host, ...args: string[]) => lab.run(h, 'nft', args);

  before(async () => {
    if (skip) return;
    root = mkdtempSync(path.join(tmpdir(), 'nucmesh-k3s-real-'));
    lab = new NetnsLab();
    lab.addLan('lan');
    for (const h of Object.keys(HOSTS) as Host[]) lab.addHost(h, [{ lan: 'lan', address: `${ip(h)}/24` }]);
  });

  after(async () => {
    if (skip) return;
    const failed = process.exitCode !== undefined && process.exitCode !== 0;
    // SIGTERM first (the stand-ins stop their parts), then the lab kills what is left by PID.
    for (const p of procs.values()) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.race([
      Promise.all([...procs.values()].map((p) => p.exited)),
      new Promise((r) => setTimeout(r, 15_000)),
    ]);
    await lab.cleanup();
    if (failed) console.log(`# logs kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  });

  it('a seed starts a new etcd cluster and the API behind the supervisor; component args pass through', async () => {
    mkdirSync(path.join(dir('s1'), 'config.yaml.d'), { recursive: true });
    writeFileSync(
      path.join(dir('s1'), 'config.yaml.d/50-kcm.yaml'),
      'kube-controller-manager-arg:\n  - node-monitor-grace-period=20s\n',
    );
    start('s1', 'server', ['--cluster-init', '--token', 'real-parts-secret'], { K3S_STANDIN_PROMOTE_MS: '1000' });
    await upAndRunning('s1', 'k3s is up and running');
    const cmdline = readFileSync(`/proc/${pidOf('s1', 'kube-controller-manager')}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes('--node-monitor-grace-period=20s'), cmdline.join(' '));
    const m = await members();
    assert.equal(m.length, 1);
    assert.equal(m[0]?.isLearner ?? false, false);
  });

  it('a second joiner waits while the first is a learner that real etcd will not promote', async () => {
    const token = readFileSync(path.join(dir('s1'), 'data/server/token'), 'utf8').trim();
    // s2 cannot reach the seed's etcd peer port: added as a learner, it never catches up.
    await nft('s1', 'add', 'table', 'inet', 'peer');
    await nft('s1', 'add', 'chain', 'inet', 'peer', 'in', '{ type filter hook input priority 0; }');
    for (const port of ['dport', 'sport'])
      await nft('s1', 'add', 'rule', 'inet', 'peer', 'in', 'ip', 'saddr', ip('s2'), 'tcp', port, '2380', 'drop');
    start('s2', 'server', ['--server', seedUrl, '--token', token]);
    await waitFor('s2 a learner', async () => (await members()).some((x) => x.isLearner), 60_000, 500);
    start('s3', 'server', ['--server', seedUrl, '--token', token]);
    const waiting =
      'Waiting for other members to finish joining etcd cluster: etcdserver: too many learner members in cluster';
    await upAndRunning('s3', waiting);
    assert.match(log('s1'), /not promoted yet: etcdserver: can only promote a learner member which is in sync/);
    await nft('s1', 'delete', 'table', 'inet', 'peer');
    await upAndRunning('s2', 'k3s is up and running');
    await upAndRunning('s3', 'k3s is up and running');
    assert.ok(!log('s2').includes(waiting), 's2 was not refused');
    const m = await members();
    assert.equal(m.length, 3, JSON.stringify(m));
    assert.ok(
      m.every((x) => x.name && !x.isLearner),
      `3 started voting members: ${JSON.stringify(m)}`,
    );
  });

  it('an agent joins; the API lists 4 Ready Nodes with their labels, the servers with the role labels', async (t) => {
    start('a1', 'agent', [
      '--server',
      seedUrl,
      '--token',
      readFileSync(path.join(dir('s1'), 'data/server/token'), 'utf8').trim(),
    ]);
    await upAndRunning('a1', 'k3s agent is up and running');
    let seen = '';
    const nodes = await waitFor(
      '4 Ready Nodes, 3 with role labels',
      async () => {
        const r = await admin('GET', '/api/v1/nodes');
        const items = (r.body as { items?: NodeItem[] }).items ?? [];
        seen = JSON.stringify(items.map((n) => [n.metadata.name, n.metadata.labels, n.status?.conditions]));
        const ready = items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        const roles = items.filter((n) => ROLE_LABELS.every((l) => n.metadata.labels?.[l] === 'true'));
        return ready.length === 4 && roles.length === 3 ? items : undefined;
      },
      90_000,
      1000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last seen: ${seen}`);
    });
    assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['a1', 's1', 's2', 's3']);
    for (const n of nodes) assert.equal(n.metadata.labels?.[LABEL], 'yes', n.metadata.name);
    // A watch streams through the supervisor's hand-over: one ADDED event per Node, then the server ends it.
    const watch = await admin('GET', '/api/v1/nodes?watch=true&timeoutSeconds=2');
    assert.equal(watch.status, 200);
    assert.equal(String(watch.body).match(/"type":"ADDED"/g)?.length, 4, String(watch.body).slice(0, 300));
    const agent = nodes.find((n) => n.metadata.name === 'a1');
    assert.ok(
      ROLE_LABELS.every((l) => agent?.metadata.labels?.[l] === undefined),
      'the agent has no role labels',
    );
    for (const h of ['s1', 'a1'] as const)
      for (const part of h === 's1' ? ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubelet'] : ['kubelet']) {
        const mem = memoryOf(pidOf(h, part));
        t.diagnostic(`${h} ${part}: RSS ${Math.round(mem.rssKiB / 1024)} MiB`);
      }
  });

  it("the agent's kubelet kubeconfig is system:node:a1 and may patch only its own Node", async () => {
    const kc = path.join(dir('a1'), 'data/agent/kubelet.kubeconfig');
    const review = await api('a1', kc, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    const info = (review.body as { status?: { userInfo?: { username?: string; groups?: string[] } } }).status?.userInfo;
    assert.equal(info?.username, 'system:node:a1');
    assert.ok(info?.groups?.includes('system:nodes'));
    const own = await api('a1', kc, 'PATCH', '/api/v1/nodes/a1', { metadata: { labels: { 'nucmesh.io/own': 'x' } } });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const other = await api('a1', kc, 'PATCH', '/api/v1/nodes/s1', { metadata: { labels: { 'nucmesh.io/own': 'x' } } });
    assert.equal(other.status, 403, JSON.stringify(other.body));
  });

  it('another agent with the same node name and another node password is refused its certificate', async () => {
    const token = readFileSync(path.join(dir('s1'), 'data/server/token'), 'utf8').trim();
    const twin = lab.spawn(
      'a1',
      standInBin,
      [
        ...['agent', '--config', path.join(root, 'none.yaml'), '--data-dir', path.join(root, 'a1-twin')],
        ...['--node-name', 'a1', '--server', seedUrl, '--token', token, '--lb-server-port', '6555'],
      ],
      { K3S_STANDIN_K8S_BINS: k8sBinDir() },
    );
    try {
      await waitFor(
        'the refusal',
        () => /client-kubelet\.crt: Node password rejected/.test(twin.stderr()),
        30_000,
        200,
      );
    } finally {
      twin.child.kill('SIGTERM');
      await twin.exited;
    }
    const secret = await admin('GET', '/api/v1/namespaces/kube-system/secrets/a1.node-password.k3s');
    assert.equal(secret.status, 200);
    assert.equal((secret.body as { type?: string }).type, 'k3s.cattle.io/node-password');
  });

  it("a server killed by SIGKILL takes its parts along; the agent's kubelet fails over to another server", async () => {
    const three = /server addresses -> \[\S+:6443 \S+:6443 \S+:6443\]/;
    await waitFor("a1's load balancer knowing the 3 servers", () => three.test(log('a1')), 30_000, 200);
    const parts = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubelet'].map((p) => pidOf('s1', p));
    const s1 = procs.get('s1');
    const killedAt = Date.now();
    s1?.child.kill('SIGKILL');
    await s1?.exited;
    await waitFor('the parts of s1 gone', () => parts.every((pid) => !alive(pid)), 5000, 100);
    via = 's2';
    const renewed = await waitFor(
      "a1's Lease renewed after the kill",
      async () => {
        const r = await admin('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/a1');
        const renew = (r.body as { spec?: { renewTime?: string } }).spec?.renewTime;
        return renew && Date.parse(renew) > killedAt + 1000 ? renew : undefined;
      },
      60_000,
      1000,
    );
    assert.ok(renewed);
    assert.match(log('a1'), /server .*:6443 failed, using /);
  });

  it("deleting the dead server's Node removes its etcd member, and the Node goes", async () => {
    const before = await members();
    const s1 = before.find((x) => x.name?.startsWith('s1-'));
    assert.ok(s1, JSON.stringify(before));
    const del = await admin('DELETE', '/api/v1/nodes/s1');
    assert.equal(del.status, 200, JSON.stringify(del.body));
    await waitFor('the member of s1 gone', async () => !(await members()).some((x) => x.ID === s1.ID), 30_000, 500);
    await waitFor('the Node s1 gone', async () => (await admin('GET', '/api/v1/nodes/s1')).status === 404, 30_000, 500);
    assert.deepEqual((await members()).map((x) => x.name?.split('-')[0]).sort(), ['s2', 's3']);
  });

  it('SIGTERM stops every part of a server; restarted, it comes back from its etcd data alone', async () => {
    const parts = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubelet'].map((p) => pidOf('s2', p));
    const s2 = procs.get('s2');
    s2?.child.kill('SIGTERM');
    await s2?.exited;
    for (const pid of parts) assert.equal(alive(pid), false, `part ${pid} is gone`);
    // The server it joined (s1) is gone: the restart must not need it.
    const token = readFileSync(path.join(dir('s2'), 'data/server/token'), 'utf8').trim();
    start('s2', 'server', ['--server', seedUrl, '--token', token]);
    await upAndRunning('s2', 'k3s is up and running');
    assert.match(log('s2'), /Managed etcd cluster bootstrap already complete and initialized/);
    assert.equal((await members()).filter((x) => !x.isLearner).length, 2);
  });
});
