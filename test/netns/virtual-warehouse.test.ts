/**
 * scripts/virtual-warehouse.sh for real: `up 3` makes three NUCs in namespaces of its own, they
 * form one cluster, and `status` shows three Ready Nodes in Kubernetes with the labels of their
 * captures (and each node's own state); a second `up` is refused; `down` leaves none of its
 * processes (by the PIDs it recorded and what ran inside its namespaces), namespaces or folder.
 * Two NUCs replaying one capture that has a hardware identity get distinct identities, and `down`
 * also ends what an agent killed by SIGKILL left behind. Bounds: 180 s to Ready (the placeholder API
 * takes 35-55 s on the loaded 2-core machine, the real parts 85-105 s).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { netemUnavailable, netnsAvailable, waitFor } from './harness.js';
import { hardwareFixturesDir, ownFixturesDir, repoRoot, sharedFixturesMissing } from '../helpers/paths.js';
import { detectInventory } from '../../src/firstboot/hardware/index.js';
import { nodeLabels } from '../../src/firstboot/labels.js';
import { isAlive, isRunning } from '../tools/virtual-warehouse/processes.js';
import { listNetns, pidsIn, qdiscOf } from '../tools/virtual-warehouse/network.js';
import type { WarehouseState } from '../tools/virtual-warehouse/state.js';
import type { WarehouseStatus } from '../tools/virtual-warehouse/status.js';

const skip = netnsAvailable();
const script = path.join(repoRoot, 'scripts/virtual-warehouse.sh');
const scratch = mkdtempSync(path.join(tmpdir(), 'nucmesh-wh-test-'));
const dir = path.join(scratch, 'warehouse');
const twinDir = path.join(scratch, 'twins');

function run(
  where: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(script, [...args, '--dir', where], { timeout: timeoutMs }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}
const warehouse = (args: string[]) => run(dir, args);

after(async () => {
  for (const d of [dir, twinDir]) if (existsSync(path.join(d, 'state.json'))) await run(d, ['down']);
  rmSync(scratch, { recursive: true, force: true });
});

test(
  'up 3, status shows 3 Ready nodes with their labels, a second up is refused, down leaves nothing',
  {
    skip: skip || sharedFixturesMissing(),
    timeout: 240_000,
  },
  async () => {
    const t0 = Date.now();
    const upped = await warehouse(['up', '3', '--loss', '5', '--hardware', hardwareFixturesDir]);
    assert.equal(upped.code, 0, upped.stderr + upped.stdout);
    assert.match(
      upped.stdout,
      /^Kubernetes: (real Kubernetes parts|the stand-in's placeholder Kubernetes API, because)/m,
    );
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as WarehouseState;
    assert.equal(state.nodes.length, 3);
    assert.equal(new Set(state.nodes.map((n) => n.capture)).size, 3, 'three distinct captures');

    // --loss: netem on every bridge port, or said plainly that the kernel has none.
    const noNetem = netemUnavailable();
    if (noNetem) assert.match(upped.stdout, /--loss 5: not applied, this kernel has no netem qdisc/);
    else for (const n of state.nodes) assert.match(qdiscOf(state.lanNetns, n.port), /netem .*loss 5%/);

    const status = await waitFor(
      'three Ready nodes in Kubernetes, each a cluster member by its own API',
      async () => {
        const r = await warehouse(['status', '--json']);
        if (r.code !== 0) return undefined;
        const s = JSON.parse(r.stdout) as WarehouseStatus;
        const members = s.nodes.every((n) => 'state' in n.nucmesh && ['server', 'agent'].includes(n.nucmesh.state));
        return 'nodes' in s.kubernetes && s.kubernetes.nodes.filter((n) => n.ready).length === 3 && members
          ? s
          : undefined;
      },
      180_000,
      2000,
    );
    console.log(`# up 3: all Ready and members ${((Date.now() - t0) / 1000).toFixed(1)} s after up`);
    assert.ok('nodes' in status.kubernetes);
    const kube = status.kubernetes.nodes;
    assert.equal(kube.length, 3);
    for (const n of status.nodes) {
      assert.ok('hostname' in n.nucmesh, `${n.name} answers on its API`);
      const seen = kube.find((k) => k.name === (n.nucmesh as { hostname: string }).hostname);
      assert.ok(seen, `${n.name} (${n.nucmesh.hostname}) is a Node in Kubernetes`);
      assert.ok(seen.roles.includes('control-plane') && seen.roles.includes('etcd'), 'three NUCs: three servers');
      const expected = nodeLabels(await detectInventory({ from: path.join(hardwareFixturesDir, n.capture) }));
      for (const key of ['model', 'memory-gib'])
        assert.equal(seen.labels[`nucmesh.io/${key}`], expected[`nucmesh.io/${key}`], `${n.name}'s ${key} label`);
    }
    const text = await warehouse(['status']);
    assert.match(text.stdout, /Nodes in Kubernetes \(GET \/api\/v1\/nodes through n\d\): 3, 3 Ready/);

    const again = await warehouse(['up', '3']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a virtual warehouse is already up in /);

    const inside = [...state.nodes.map((n) => n.netns), state.lanNetns].flatMap(pidsIn);
    assert.ok(inside.length >= 6, `agents and their k3s children run inside the namespaces: ${inside.join(' ')}`);
    const downed = await warehouse(['down']);
    assert.equal(downed.code, 0, downed.stderr);
    for (const n of state.nodes) assert.ok(n.agent && !isRunning(n.agent), `${n.name}'s agent (PID ${n.agent?.pid})`);
    for (const pid of inside) assert.ok(!isAlive(pid), `process ${pid} of a namespace has ended`);
    assert.deepEqual(
      listNetns().filter((ns) => ns.startsWith(state.prefix)),
      [],
      'no namespace (and so no bridge) of the warehouse is left',
    );
    assert.ok(!existsSync(dir), 'the state folder is removed');
  },
);

test(
  'two NUCs on one capture with a DMI UUID: two Nodes (up --placeholder --wait); down ends what a SIGKILLed agent left',
  {
    skip,
    timeout: 220_000,
  },
  async () => {
    const upped = await run(
      twinDir,
      ['up', '2', '--placeholder', '--hardware', path.join(ownFixturesDir, 'hardware'), '--wait', '180'],
      200_000,
    );
    assert.equal(upped.code, 0, upped.stderr + upped.stdout);
    assert.match(
      upped.stdout,
      /^Kubernetes: the stand-in's placeholder Kubernetes API, because up was given --placeholder$/m,
    );
    assert.match(upped.stdout, /GET \/api\/v1\/nodes through n\d\): 2, 2 Ready/);
    const s = JSON.parse((await run(twinDir, ['status', '--json'])).stdout) as WarehouseStatus;
    assert.deepEqual(
      s.nodes.map((n) => [n.capture, n.serialOverride !== undefined]),
      [
        ['synthetic-nuc11tnbv7', false],
        ['synthetic-nuc11tnbv7', true],
      ],
    );
    assert.ok('nodes' in s.kubernetes);
    const names = new Set(s.kubernetes.nodes.filter((n) => n.ready).map((n) => n.name));
    assert.equal(names.size, 2, 'two distinct Ready Nodes');

    // An agent killed by SIGKILL leaves its k3s child behind: down finds it inside the namespace.
    const state = JSON.parse(readFileSync(path.join(twinDir, 'state.json'), 'utf8')) as WarehouseState;
    const inside = state.nodes.flatMap((n) => pidsIn(n.netns));
    process.kill(state.nodes[0]?.agent?.pid as number, 'SIGKILL');
    const downed = await run(twinDir, ['down']);
    assert.equal(downed.code, 0, downed.stderr);
    assert.match(downed.stdout, /down: 2 agents stopped, [1-9]\d* processes left in the namespaces stopped/);
    for (const pid of inside) assert.ok(!isAlive(pid), `process ${pid} of a namespace has ended`);
    assert.ok(!existsSync(twinDir));
  },
);
