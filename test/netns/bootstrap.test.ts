/**
 * The bootstrap for real: `nucmesh agent` on hosts in network namespaces, with the k3s stand-in
 * (test/k3s-stand-in/k3s) run as a child in each host's namespace. Five nodes boot together and
 * form exactly one cluster of 3 servers (the seed and two servers that joined one at a time) and
 * 2 agents; a sixth node booted later joins as an agent without waiting for a forming window.
 * The fleet key and the k3s tokens never show in any log line. A seed that loses power while
 * starting k3s is replaced by another seed; two sides of a partition that each formed a cluster
 * both report `conflict` when the partition heals, and `nucmesh reset --rejoin` moves one side
 * (its seed and server wiped) into the other's cluster.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { hardwareFixturesDir, sharedFixturesMissing } from '../helpers/paths.js';
import { bootSteps } from '../../src/firstboot/boot-steps.js';
import { clusterSteps } from '../../src/cluster/cluster-sequence.js';
import { standInBin } from '../helpers/k3s-stand-in.js';

const fx = labFixture({ fleet: 'boot', subnet: '10.63.0', needs: [sharedFixturesMissing] });
const CAPTURES = ['intel-nuc11atkc4', 'intel-nuc11pahi5', 'intel-nuc12wshi5', 'intel-nuc13anhi7', 'intel-nuc8i5beh'];
const LATE = 'intel-nuc7i5bnh';

interface Persisted {
  state: string;
  clusterId: string;
}

function stateOf(host: string): Persisted | undefined {
  const file = path.join(fx.fleet.dir, host, 'node-state.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Persisted;
  } catch {
    return undefined;
  }
}

function agentArgs(host: string, capture: string): string[] {
  const k3s = path.join(fx.fleet.dir, host, 'k3s');
  return [
    ...['--hardware-from', path.join(hardwareFixturesDir, capture), '--interface', 'eth0'],
    ...['--k3s-mode', 'child', '--k3s-bin', standInBin],
    ...['--k3s-config', path.join(k3s, 'etc/config.yaml'), '--k3s-data-dir', path.join(k3s, 'data')],
    ...['--k3s-kubeconfig', path.join(k3s, 'etc/k3s.yaml')],
  ];
}

const MEMBER = new Set(['server', 'agent']);

/** Waits until every host is a server or agent (of any cluster); their persisted states. */
function members(hosts: readonly string[], what: string, timeoutMs: number): Promise<Persisted[]> {
  return waitFor(
    what,
    () => {
      const s = hosts.map(stateOf);
      return s.every((x) => x && MEMBER.has(x.state)) ? (s as Persisted[]) : undefined;
    },
    timeoutMs,
    500,
  );
}

function clusterRecordOf(host: string): { formation: string; clusterId: string } | undefined {
  const file = path.join(fx.fleet.dir, host, 'cluster.json');
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { formation: string; clusterId: string })
    : undefined;
}

/** Every process in a host's namespace, killed by PID: the agent and its k3s child (a power cut). */
function killAll(host: string): void {
  fx.lab.killAllIn(host);
}

function powerOff(host: string): void {
  killAll(host);
  fx.lab.partition(host);
}

const made: string[] = [];
/** Hosts on the LAN, remembered so that each test powers off its own before the next starts. */
function hostsNamed(names: readonly string[]): string[] {
  made.push(...names);
  return fx.addHosts(names).map((h) => h.name);
}

// The next test must meet no cluster of this one, and no k3s child may outlive the lab.
afterEach(async () => {
  for (const h of made.splice(0)) killAll(h);
  await new Promise((r) => setTimeout(r, 500));
});

/** Drop every packet from the other side's addresses (a partition that heals when the tables go). */
function split(side: readonly string[], other: readonly string[]): void {
  for (const h of side) {
    const ns = fx.lab.host(h).netns;
    const nft = (...args: string[]) => execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], { stdio: 'ignore' });
    nft('add', 'table', 'inet', 'nmsplit');
    nft('add', 'chain', 'inet', 'nmsplit', 'in', '{ type filter hook input priority 0; }');
    for (const o of other)
      nft(
        'add',
        'rule',
        'inet',
        'nmsplit',
        'in',
        'ip',
        'saddr',
        fx.lab.host(o).addresses['eth0']?.split('/')[0] as string,
        'drop',
      );
  }
}

function heal(hosts: readonly string[]): void {
  for (const h of hosts)
    execFileSync('ip', ['netns', 'exec', fx.lab.host(h).netns, 'nft', 'delete', 'table', 'inet', 'nmsplit'], {
      stdio: 'ignore',
    });
}

test(
  'five nodes booted together form one cluster of 3 servers and 2 agents; a sixth joins later as agent',
  { skip: fx.skip, timeout: 300_000 },
  async () => {
    const hosts = hostsNamed(['b1', 'b2', 'b3', 'b4', 'b5']);
    const t0 = Date.now();
    const agents = hosts.map((h, i) => fx.startAgent(h, agentArgs(h, CAPTURES[i] as string)));
    const states = await members(hosts, 'all five to be members of one cluster', 240_000);
    console.log(`# 5 nodes: all members ${((Date.now() - t0) / 1000).toFixed(1)} s after the start`);
    const clusters = new Set(states.map((s) => s.clusterId));
    assert.equal(clusters.size, 1, `one cluster, got ${[...clusters].join(', ')}`);
    assert.deepEqual(states.map((s) => s.state).sort(), ['agent', 'agent', 'server', 'server', 'server']);
    const seeds = hosts.filter(
      (h) => JSON.parse(readFileSync(path.join(fx.fleet.dir, h, 'cluster.json'), 'utf8')).formation === 'seed',
    );
    assert.equal(seeds.length, 1, 'exactly one seed');

    hostsNamed(['b6']);
    const t1 = Date.now();
    agents.push(fx.startAgent('b6', agentArgs('b6', LATE)));
    const late = await waitFor(
      'the sixth to be a member',
      () => {
        const s = stateOf('b6');
        return s && MEMBER.has(s.state) ? s : undefined;
      },
      120_000,
      500,
    );
    console.log(`# a late sixth node: member ${((Date.now() - t1) / 1000).toFixed(1)} s after its start`);
    assert.deepEqual(late, { ...late, state: 'agent', clusterId: [...clusters][0] });

    // A server reinstalled (its disk wiped: nucmesh's data dir and k3s' state gone, the same
    // hardware, so the same node ID) rejoins the running cluster and never seeds.
    const wiped = hosts.find((h, i) => h !== seeds[0] && states[i]?.state === 'server') as string;
    killAll(wiped);
    rmSync(path.join(fx.fleet.dir, wiped), { recursive: true, force: true });
    const t2 = Date.now();
    agents.push(fx.startAgent(wiped, agentArgs(wiped, CAPTURES[hosts.indexOf(wiped)] as string)));
    const [back] = await members([wiped], 'the reinstalled server to be a member again', 180_000);
    console.log(`# a reinstalled server: member again ${((Date.now() - t2) / 1000).toFixed(1)} s after its start`);
    assert.equal(back?.clusterId, [...clusters][0], 'the same cluster');
    assert.equal(clusterRecordOf(wiped)?.formation, 'join', 'it joined, it did not seed');

    const seedData = path.join(fx.fleet.dir, seeds[0] as string, 'k3s', 'data', 'server');
    const secrets = [fx.fleet.config.key, fx.fleet.key.toString('hex')];
    for (const f of ['token', 'agent-token']) {
      const t = readFileSync(path.join(seedData, f), 'utf8').trim();
      secrets.push(t, t.split(':').at(-1) as string);
    }
    const logs = agents.map((a) => a.stdout() + a.stderr()).join('\n');
    for (const s of secrets) assert.ok(!logs.includes(s), 'a secret appears in a log line');
  },
);

test(
  'a seed that loses power during start-k3s is replaced: the others form one cluster without it',
  { skip: fx.skip, timeout: 300_000 },
  async () => {
    const hosts = hostsNamed(['k1', 'k2', 'k3']);
    hosts.forEach((h, i) => fx.startAgent(h, agentArgs(h, CAPTURES[i] as string)));
    const seed = await waitFor(
      'a node to start k3s as seed',
      () =>
        hosts.find((h) => {
          const file = path.join(fx.fleet.dir, h, 'progress.json');
          if (!existsSync(file) || clusterRecordOf(h)?.formation !== 'seed') return false;
          return (
            (JSON.parse(readFileSync(file, 'utf8')) as { steps: Record<string, { status: string }> }).steps[
              'start-k3s'
            ] !== undefined
          );
        }),
      120_000,
      100,
    );
    const dead = clusterRecordOf(seed)?.clusterId;
    powerOff(seed);
    const t0 = Date.now();
    const rest = hosts.filter((h) => h !== seed);
    const states = await members(rest, 'the other two to be members', 180_000);
    console.log(`# seed lost during start-k3s: the others members ${((Date.now() - t0) / 1000).toFixed(1)} s later`);
    const ids = new Set(states.map((s) => s.clusterId));
    assert.equal(ids.size, 1);
    assert.ok(!ids.has(dead as string), "not the dead seed's cluster");
    assert.equal(rest.filter((h) => clusterRecordOf(h)?.formation === 'seed').length, 1, 'one new seed');
  },
);

test(
  'two sides of a partition each form a cluster; when it heals every node reports conflict naming both',
  { skip: fx.skip, timeout: 300_000 },
  async () => {
    const left = hostsNamed(['l1', 'l2']);
    const right = hostsNamed(['r1', 'r2']);
    const all = [...left, ...right];
    split(left, right);
    split(right, left);
    const agents = new Map(all.map((h, i) => [h, fx.startAgent(h, agentArgs(h, CAPTURES[i] as string))]));
    const formed = await members(all, 'both sides to be members', 240_000);
    const ids = [...new Set(formed.map((s) => s.clusterId))];
    assert.equal(ids.length, 2, 'each side formed its own cluster');
    heal(all);
    const t0 = Date.now();
    const conflicted = await waitFor(
      'every node to report conflict',
      () => {
        const s = all.map(stateOf);
        return s.every((x) => x?.state === 'conflict') ? (s as (Persisted & { detail?: string })[]) : undefined;
      },
      90_000,
      500,
    );
    console.log(`# partition healed: all in conflict ${((Date.now() - t0) / 1000).toFixed(1)} s later`);
    for (const s of conflicted) for (const id of ids) assert.match(s.detail ?? '', new RegExp(`${id} \\(2 nodes\\)`));

    // The operator moves the right side into the left's cluster: stop, reset --rejoin, start.
    const target = stateOf('l1')?.clusterId as string;
    for (const h of right) {
      const a = agents.get(h);
      a?.child.kill('SIGTERM');
      assert.equal(await a?.exited, 0);
      const k3s = agentArgs(h, '').slice(4);
      const r = await fx.cli(h, [
        'reset',
        '--rejoin',
        target,
        '--yes',
        '--data-dir',
        path.join(fx.fleet.dir, h),
        ...k3s,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`joins cluster ${target}`));
    }
    right.forEach((h, i) => fx.startAgent(h, agentArgs(h, CAPTURES[i + 2] as string)));
    const t1 = Date.now();
    const moved = await waitFor(
      'all four in the left cluster',
      () => {
        const s = all.map(stateOf);
        return s.every((x) => x && MEMBER.has(x.state) && x.clusterId === target) ? (s as Persisted[]) : undefined;
      },
      180_000,
      500,
    );
    console.log(
      `# reset --rejoin of the right side: all four members of one cluster ${((Date.now() - t1) / 1000).toFixed(1)} s later`,
    );
    assert.deepEqual(moved.map((m) => m.state).sort(), ['agent', 'server', 'server', 'server']);
  },
);

test(
  'kill -9 at every step in turn, then a restart: the same identities, one cluster, one seed',
  { skip: fx.skip, timeout: 900_000 },
  async () => {
    // `hostname` runs only with --apply-host (the image's service), so it never starts here.
    // NUCMESH_CRASH_STEPS=a,b runs only those (to replay one).
    const only = process.env['NUCMESH_CRASH_STEPS']?.split(',');
    const steps = [...bootSteps, ...clusterSteps]
      .map((s) => s.name)
      .filter((s) => s !== 'hostname' && (!only || only.includes(s)));
    for (const [i, step] of steps.entries()) {
      const pair = hostsNamed([`x${i}a`, `x${i}b`]);
      const crash = { NUCMESH_CRASH_AT_STEP: step };
      const first = pair.map((h, j) => fx.startAgent(h, agentArgs(h, CAPTURES[j] as string), crash));
      // Each node that the step kills (both may, one after the other) is started again without the
      // fault, its identity file read just before: a restarted node must keep it.
      const current = [...first];
      const identityOf = (h: string): string => {
        const file = path.join(fx.fleet.dir, h, 'identity.json');
        return existsSync(file) ? readFileSync(file, 'utf8') : '';
      };
      const identities = new Map<string, string>();
      const restartKilled = (): void => {
        pair.forEach((h, j) => {
          if (current[j] !== first[j] || first[j]?.child.signalCode !== 'SIGKILL') return;
          identities.set(h, identityOf(h));
          killAll(h); // its k3s child, as the power cut would
          current[j] = fx.startAgent(h, agentArgs(h, CAPTURES[j] as string));
        });
      };
      const states = await waitFor(
        `both members after a crash at ${step}`,
        () => {
          restartKilled();
          const s = pair.map(stateOf);
          const done = identities.size > 0 && s.every((x) => x && MEMBER.has(x.state));
          return done ? (s as Persisted[]) : undefined;
        },
        240_000,
        500,
      );
      const crashed = [...identities.keys()];
      assert.equal(new Set(states.map((s) => s.clusterId)).size, 1, `one cluster after a crash at ${step}`);
      assert.equal(
        pair.filter((h) => clusterRecordOf(h)?.formation === 'seed').length,
        1,
        `one seed after a crash at ${step}`,
      );
      for (const [h, before] of identities) {
        // The identity file may be absent before its step ran; once there, it never changes.
        if (before !== '') assert.equal(identityOf(h), before, `${h} kept its identity after a crash at ${step}`);
      }
      console.log(`# kill -9 at ${step}: ${crashed.length} node(s) killed, both members afterwards`);
      for (const h of pair) killAll(h);
    }
  },
);
