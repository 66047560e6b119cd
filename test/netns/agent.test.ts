/**
 * `nucmesh agent` in two namespaces (same hardware capture, own data dirs) are two distinct
 * nodes that see each other, advertising where their boot sequence stops without k3s
 * (`k3s-missing`); SIGTERM stops cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { waitFor } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { hardwareFixturesDir, sharedFixturesMissing } from '../helpers/paths.js';

const fx = labFixture({ fleet: 'agents', subnet: '10.62.0', needs: [sharedFixturesMissing] });
const { skip } = fx;

test('two agents on one LAN are distinct nodes that see each other as verified peers', { skip }, async () => {
  const capture = path.join(hardwareFixturesDir, 'intel-nuc11atkc4');
  const args = ['--hardware-from', capture, '--interface', 'eth0'];
  const agents = fx.addHosts(['a1', 'a2']).map((h) => fx.startAgent(h.name, args));
  const list = await waitFor(
    'both agents in peers --json',
    async () => {
      const r = await fx.cli('a1', ['peers', '--fleet', fx.fleet.file, '--timeout', '2', '--json']);
      const l = JSON.parse(r.stdout || '[]') as {
        nodeId: string;
        state: string;
        verified: boolean;
        addresses: string[];
      }[];
      // No k3s on these hosts: past forming the cluster steps stop at check-k3s.
      return l.length === 2 && l.every((p) => p.state === 'k3s-missing') ? l : undefined;
    },
    30_000,
    200,
  );
  assert.notEqual(list[0]?.nodeId, list[1]?.nodeId);
  assert.ok(list.every((p) => p.verified && /^[0-9a-f]{32}$/.test(p.nodeId)));
  assert.deepEqual(list.map((p) => p.addresses.find((a) => a.startsWith('10.'))).sort(), ['10.62.0.1', '10.62.0.2']);
  const up = await waitFor(
    'a1 to log peer up',
    () => agents[0]?.logs().find((l) => String(l['msg']).startsWith('peer up')),
    10_000,
  );
  assert.equal(up['peer'], list.find((p) => p.addresses.includes('10.62.0.2'))?.nodeId);
  for (const a of agents) a.child.kill('SIGTERM');
  for (const a of agents) assert.equal(await a.exited, 0, a.stderr());
  const keyPattern = new RegExp(fx.fleet.config.key.replace(/[+/=]/g, '.'));
  assert.doesNotMatch(agents.map((a) => a.stdout()).join(''), keyPattern, 'fleet key never logged');
});
