/**
 * The bootstrap for real: `nucmesh agent` on hosts in network namespaces, with the k3s stand-in
 * (test/k3s-stand-in/k3s) run as a child in each host's namespace. Five nodes boot together and
 * form exactly one cluster of 3 servers (the seed and two servers that joined one at a time) and
 * 2 agents; a sixth node booted later joins as an agent without waiting for a forming window.
 * The fleet key and the k3s tokens never show in any log line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { hardwareFixturesDir, sharedFixturesMissing } from '../helpers/paths.js';
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

test(
  'five nodes booted together form one cluster of 3 servers and 2 agents; a sixth joins later as agent',
  { skip: fx.skip, timeout: 300_000 },
  async () => {
    const hosts = fx.addHosts(['b1', 'b2', 'b3', 'b4', 'b5']).map((h) => h.name);
    const t0 = Date.now();
    const agents = hosts.map((h, i) => fx.startAgent(h, agentArgs(h, CAPTURES[i] as string)));
    const states = await waitFor(
      'all five to be members of one cluster',
      () => {
        const s = hosts.map(stateOf);
        return s.every((x) => x && MEMBER.has(x.state)) ? (s as Persisted[]) : undefined;
      },
      240_000,
      500,
    );
    console.log(`# 5 nodes: all members ${((Date.now() - t0) / 1000).toFixed(1)} s after the start`);
    const clusters = new Set(states.map((s) => s.clusterId));
    assert.equal(clusters.size, 1, `one cluster, got ${[...clusters].join(', ')}`);
    assert.deepEqual(states.map((s) => s.state).sort(), ['agent', 'agent', 'server', 'server', 'server']);
    const seeds = hosts.filter(
      (h) => JSON.parse(readFileSync(path.join(fx.fleet.dir, h, 'cluster.json'), 'utf8')).formation === 'seed',
    );
    assert.equal(seeds.length, 1, 'exactly one seed');

    fx.addHost('b6');
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
