/**
 * The k3s driver in child mode against the k3s stand-in, on loopback only (no namespaces; with the
 * system tests because it runs real processes, and a k3s server must run as root): a seed server comes
 * up, its token files are in the K10 form with the hash of its CA, an agent joins with the agent token,
 * two servers joining at once are taken one at a time (the learner rule), and wrong tokens fail with
 * k3s' own error texts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createK3sDriver, type K3sDriver } from '../../src/cluster/k3s-driver.js';
import { parseFullK3sToken, type K3sTokens } from '../../src/cluster/k3s-token.js';
import type { K3sConfig } from '../../src/config/fleet-schema.js';
import { capturingLogger, freePort, spawnStandIn, standInBin } from '../helpers/k3s-stand-in.js';
import { waitFor } from './harness.js';

const skip = process.getuid?.() !== 0 ? 'a k3s server must run as root' : false;
const root = mkdtempSync(path.join(tmpdir(), 'nucmesh-k3s-'));
const drivers: K3sDriver[] = [];
const READY_MS = 40_000;

function fleet(over: Partial<K3sConfig> = {}): K3sConfig {
  return {
    serverArgs: [],
    agentArgs: [],
    nodeLabels: { 'nucmesh.io/fleet': 'lab' },
    tlsSans: [],
    clusterCidr: '10.42.0.0/16',
    serviceCidr: '10.43.0.0/16',
    ...over,
  };
}

/**
 * The first joining server stays a learner for 6 s (its catch-up) and the seed promotes a caught-up
 * learner within 1 s (k3s: 15 s): a second joiner started meanwhile surely meets the first as a learner.
 */
const PROMOTE_MS = '1000';
const FIRST_CATCHUP_MS = '6000';

function driverFor(name: string, env: NodeJS.ProcessEnv = {}) {
  const dir = path.join(root, name);
  const captured = capturingLogger();
  const driver = createK3sDriver({
    mode: 'child',
    bin: standInBin,
    configFile: path.join(dir, 'etc/config.yaml'),
    dataDir: path.join(dir, 'data'),
    kubeconfig: path.join(dir, 'etc/k3s.yaml'),
    log: captured.log,
    pollMs: 200,
    childEnv: { ...process.env, ...env },
  });
  drivers.push(driver);
  return { driver, dir, logs: captured.text };
}

let seedPort = 0;
let seedUrl = '';
let tokens: K3sTokens;
const seed = driverFor('seed', { K3S_STANDIN_PROMOTE_MS: PROMOTE_MS });

before(async () => {
  if (skip) return;
  seedPort = await freePort();
  seedUrl = `https://127.0.0.1:${seedPort}`;
});

after(async () => {
  for (const d of drivers) await d.close();
  rmSync(root, { recursive: true, force: true });
});

test('a seed server comes up Ready, with K10 token files pinning its CA', { skip, timeout: 60_000 }, async () => {
  const file = await seed.driver.configure({
    role: 'seed',
    nodeName: 'seed-1',
    nodeIp: '127.0.0.1',
    labels: { 'nucmesh.io/model': 'NUC11TNHi5' },
    tlsSans: ['127.0.0.1', 'seed-1', 'seed-1.local'],
    token: 'seed-secret-0123456789',
    agentToken: 'agent-secret-0123456789',
    fleet: fleet({ serverArgs: [`--https-listen-port=${seedPort}`] }),
  });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  await seed.driver.start('seed');
  await seed.driver.waitReady('seed', 'seed-1', AbortSignal.timeout(READY_MS));

  tokens = await seed.driver.tokens();
  const ca = readFileSync(path.join(seed.dir, 'data/server/tls/server-ca.crt'));
  const hash = createHash('sha256').update(ca).digest('hex');
  assert.deepEqual(parseFullK3sToken(tokens.server), {
    caHash: hash,
    username: 'server',
    password: 'seed-secret-0123456789',
  });
  assert.deepEqual(parseFullK3sToken(tokens.agent), {
    caHash: hash,
    username: 'node',
    password: 'agent-secret-0123456789',
  });
  // What a joiner sees at /cacerts is that file, byte for byte.
  const served = await fetchInsecure(`${seedUrl}/cacerts`);
  assert.equal(served, ca.toString('utf8'));
});

test('an agent joins with the agent token and its Node carries the labels', { skip, timeout: 60_000 }, async () => {
  const agent = driverFor('agent');
  const lb = await freePort();
  await agent.driver.configure({
    role: 'agent',
    nodeName: 'agent-1',
    nodeIp: '127.0.0.1',
    labels: { 'nucmesh.io/model': 'NUC12WSHi7', 'nucmesh.io/ram-gb': '64' },
    tlsSans: [],
    serverUrl: seedUrl,
    token: tokens.agent,
    fleet: fleet({ agentArgs: [`--lb-server-port=${lb}`] }),
  });
  await agent.driver.start('agent');
  await agent.driver.waitReady('agent', 'agent-1', AbortSignal.timeout(READY_MS));
  const kc = new KubeConfig();
  kc.loadFromFile(path.join(seed.dir, 'etc/k3s.yaml'));
  const node = await kc.makeApiClient(CoreV1Api).readNode({ name: 'agent-1' });
  assert.equal(node.metadata?.labels?.['nucmesh.io/model'], 'NUC12WSHi7');
  assert.equal(node.metadata?.labels?.['nucmesh.io/fleet'], 'lab');
  assert.equal(node.metadata?.labels?.['node-role.kubernetes.io/control-plane'], undefined);
  await agent.driver.close();
});

test(
  'a second server joining while the first is a learner waits for it; both share the CA',
  { skip, timeout: 90_000 },
  async () => {
    const joiners = [driverFor('server-2', { K3S_STANDIN_CATCHUP_MS: FIRST_CATCHUP_MS }), driverFor('server-3')];
    const ports = [await freePort(), await freePort()];
    await Promise.all(
      joiners.map((j, i) =>
        j.driver.configure({
          role: 'server',
          nodeName: `server-${i + 2}`,
          nodeIp: '127.0.0.1',
          labels: {},
          tlsSans: ['127.0.0.1'],
          serverUrl: seedUrl,
          token: tokens.server,
          fleet: fleet({ serverArgs: [`--https-listen-port=${ports[i]}`] }),
        }),
      ),
    );
    const [first, second] = joiners as [(typeof joiners)[0], (typeof joiners)[0]];
    await first.driver.start('server');
    await waitFor(
      'server-2 as a learner',
      async () => (await seedState()).members.some((m) => m.name === 'server-2' && m.isLearner),
      20_000,
    );
    await second.driver.start('server');
    await Promise.all(
      joiners.map((j, i) => j.driver.waitReady('server', `server-${i + 2}`, AbortSignal.timeout(READY_MS))),
    );
    const refused =
      'Waiting for other members to finish joining etcd cluster: etcdserver: too many learner members in cluster';
    assert.ok(second.logs().includes(refused), 'the second joiner was refused while the first was a learner');
    assert.ok(!first.logs().includes(refused), 'the first joiner was not');
    for (const j of joiners) {
      assert.equal((await j.driver.tokens()).server, tokens.server, 'the same token, with the same CA hash');
    }
    assert.deepEqual((await seedState()).members.map((m) => [m.name, m.isLearner]).sort(), [
      ['seed-1', false],
      ['server-2', false],
      ['server-3', false],
    ]);
  },
);

test('a wrong agent password and a wrong CA pin fail with k3s error texts', { skip, timeout: 60_000 }, async () => {
  const { caHash } = parseFullK3sToken(tokens.agent);
  const badPassword = spawnStandIn(agentArgs('bad-pass', await freePort(), `K10${caHash}::node:wrong`));
  const badCa = spawnStandIn(agentArgs('bad-ca', await freePort(), `K10${'0'.repeat(64)}::node:whatever`));
  try {
    await waitFor(
      'the 401 line',
      () =>
        /Waiting to retrieve agent configuration; server is not ready: failed to retrieve configuration from server: https:\/\/127\.0\.0\.1:\d+\/v1-k3s\/config: 401 Unauthorized/.test(
          badPassword.log(),
        ),
      20_000,
    );
    await waitFor(
      'the CA hash line',
      () =>
        badCa
          .log()
          .includes(`token CA hash does not match the Cluster CA certificate hash: ${'0'.repeat(64)} != ${caHash}`),
      20_000,
    );
  } finally {
    await badPassword.stop();
    await badCa.stop();
  }
  // A server with a wrong password stops at once, as k3s does (systemd restarts it).
  const port = await freePort();
  const server = spawnStandIn([
    'server',
    '--data-dir',
    path.join(root, 'bad-server'),
    '--write-kubeconfig',
    path.join(root, 'bad-server/k3s.yaml'),
    '--server',
    seedUrl,
    '--token',
    `K10${caHash}::server:wrong`,
    '--https-listen-port',
    String(port),
    '--config',
    path.join(root, 'none.yaml'),
  ]);
  assert.equal(await server.exited, 1);
  assert.match(server.log(), /level=fatal msg=".*v1-k3s\/server-bootstrap: 401 Unauthorized"/);
});

async function seedState(): Promise<{ members: { name: string; isLearner: boolean }[] }> {
  const text = await fetchInsecure(`${seedUrl}/v1-standin/state`, parseFullK3sToken(tokens.server).password);
  return JSON.parse(text) as { members: { name: string; isLearner: boolean }[] };
}

function agentArgs(name: string, lb: number, token: string): string[] {
  return [
    'agent',
    '--config',
    path.join(root, 'none.yaml'),
    '--data-dir',
    path.join(root, name),
    '--node-name',
    name,
    '--server',
    seedUrl,
    '--token',
    token,
    '--lb-server-port',
    String(lb),
  ];
}

async function fetchInsecure(url: string, serverPassword?: string): Promise<string> {
  const { request } = await import('../k3s-stand-in/http.js');
  const a = await request(url, {
    insecure: true,
    ...(serverPassword ? { auth: { user: 'server', password: serverPassword } } : {}),
  });
  return a.body.toString('utf8');
}

/** A NOTIFY_SOCKET listener (Python: Node has no unix datagram sockets) printing each message's sender PID. */
const NOTIFY_LISTENER = `
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print("listening", flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = [struct.unpack("iII", d[:12])[0] for (l, t, d) in anc if l == socket.SOL_SOCKET and t == socket.SCM_CREDENTIALS]
    print(pid[0] if pid else "none", msg.decode().replace("\\n", " "), flush=True)
`;

const noNotifyTools = (() => {
  if (skip) return skip;
  for (const tool of ['python3', 'systemd-notify'])
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  return false;
})();

test(
  'under systemd (NOTIFY_SOCKET) the server sends READY=1 as its own main PID',
  { skip: noNotifyTools, timeout: 60_000 },
  async () => {
    const socketPath = path.join(root, 'notify.sock');
    const listener = spawn('python3', ['-c', NOTIFY_LISTENER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let heard = '';
    listener.stdout.on('data', (d: Buffer) => (heard += d.toString()));
    try {
      await waitFor('the listener', () => heard.includes('listening'), 10_000);
      const port = await freePort();
      const dir = path.join(root, 'notify-server');
      const server = spawnStandIn(
        [
          'server',
          '--config',
          path.join(root, 'none.yaml'),
          '--data-dir',
          dir,
          '--write-kubeconfig',
          path.join(dir, 'k3s.yaml'),
        ].concat(['--https-listen-port', String(port), '--node-name', 'notify-1', '--cluster-init']),
        { NOTIFY_SOCKET: socketPath },
      );
      try {
        const line = await waitFor('READY=1', () => heard.split('\n').find((l) => l.includes('READY=1')), 30_000);
        assert.equal(line.split(' ')[0], String(server.child.pid), `sender of ${line}`);
        assert.match(server.log(), /k3s is up and running/);
      } finally {
        await server.stop();
      }
    } finally {
      if (listener.pid !== undefined) process.kill(listener.pid, 'SIGTERM');
    }
  },
);
