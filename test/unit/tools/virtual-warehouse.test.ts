/** The pure parts of the virtual warehouse (test/tools/virtual-warehouse/) and its command line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownFixturesDir, repoRoot } from '../../helpers/paths.js';
import { detectInventory } from '../../../src/firstboot/hardware/index.js';
import { deriveIdentity } from '../../../src/firstboot/identity.js';
import { cleanUuid } from '../../../src/firstboot/hardware/clean.js';
import {
  assignCaptures,
  hasHardwareIdentity,
  listCaptures,
  serialOverride,
  writeOverriddenCapture,
} from '../../tools/virtual-warehouse/captures.js';
import { isRunning, recordProcess, signal, startTimeOf } from '../../tools/virtual-warehouse/processes.js';
import { kubeAccessOf } from '../../tools/virtual-warehouse/kube-nodes.js';
import { formatStatus, type WarehouseStatus } from '../../tools/virtual-warehouse/status.js';
import { prefixFor, writeState, type WarehouseState } from '../../tools/virtual-warehouse/state.js';
import { upRefusal } from '../../tools/virtual-warehouse/warehouse.js';
import { k8sMode, standInRunsRealParts } from '../../tools/virtual-warehouse/k8s-mode.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'nucmesh-wh-unit-'));
const synthetic = path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7');

test('captures are cycled in order; each use counts the NUCs before it on the same capture', () => {
  assert.deepEqual(assignCaptures(['a', 'b'], 5), [
    { capture: 'a', reuse: 0 },
    { capture: 'b', reuse: 0 },
    { capture: 'a', reuse: 1 },
    { capture: 'b', reuse: 1 },
    { capture: 'a', reuse: 2 },
  ]);
  assert.throws(() => assignCaptures([], 1), /no hardware captures/);
  const dir = scratch();
  try {
    assert.throws(() => listCaptures(dir), /no hardware captures in .*give --hardware DIR/);
    for (const d of ['b-nuc', 'a-nuc']) mkdirSync(path.join(dir, d));
    writeFileSync(path.join(dir, 'README.md'), '');
    assert.deepEqual(listCaptures(dir), ['a-nuc', 'b-nuc'], 'folders only, by name');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reused capture with a hardware identity gets a serial and UUID per node: distinct identities', async () => {
  const dir = scratch();
  try {
    assert.equal(await hasHardwareIdentity(synthetic), true, 'the synthetic capture has a DMI UUID');
    const original = deriveIdentity(await detectInventory({ from: synthetic }));
    const ids = [];
    for (const node of ['n1', 'n2']) {
      const o = serialOverride('nmwh0000-', node);
      assert.equal(cleanUuid(o.uuid), o.uuid, 'a UUID the inventory takes');
      writeOverriddenCapture(synthetic, path.join(dir, node), o);
      const inv = await detectInventory({ from: path.join(dir, node) });
      assert.equal(inv.system.serial, o.serial);
      assert.equal(inv.system.uuid, o.uuid);
      ids.push(deriveIdentity(inv)?.nodeId);
    }
    assert.equal(new Set([original?.nodeId, ...ids]).size, 3);
    assert.notDeepEqual(serialOverride('nmwh0000-', 'n1'), serialOverride('nmwh1111-', 'n1'));
    mkdirSync(path.join(dir, 'blank'));
    assert.equal(await hasHardwareIdentity(path.join(dir, 'blank')), false, 'nothing stable: a random identity');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the start time is field 22 of /proc/PID/stat, whatever the name holds; a reused PID is not ours', () => {
  const fields = Array.from({ length: 30 }, (_, i) => String(i + 3));
  assert.equal(startTimeOf(`42 (a (b) c) ${fields.join(' ')}`), '22');
  const me = recordProcess(process.pid);
  assert.equal(me.startTime, startTimeOf(execFileSync('cat', [`/proc/${process.pid}/stat`], { encoding: 'utf8' })));
  assert.equal(isRunning(me), true);
  const other = { pid: process.pid, startTime: String(Number(me.startTime) + 1) };
  assert.equal(isRunning(other), false);
  assert.equal(signal(other, 'SIGTERM'), false, 'never signalled');
});

test("a kubeconfig's current context: inline data (k3s.yaml) or files", () => {
  const dir = scratch();
  try {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const doc = (cluster: string, user: string) =>
      [
        'apiVersion: v1',
        'current-context: b',
        'contexts: [{name: a, context: {cluster: x, user: x}}, {name: b, context: {cluster: c, user: u}}]',
        `clusters: [{name: x, cluster: {server: "https://wrong"}}, {name: c, cluster: {server: "https://127.0.0.1:6443", ${cluster}}}]`,
        `users: [{name: u, user: {${user}}}]`,
      ].join('\n');
    const inline = kubeAccessOf(
      doc(
        `certificate-authority-data: ${b64('CA')}`,
        `client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}`,
      ),
    );
    assert.equal(inline.server, 'https://127.0.0.1:6443');
    assert.deepEqual([inline.ca, inline.cert, inline.key].map(String), ['CA', 'CERT', 'KEY']);
    for (const f of ['ca', 'cert', 'key']) writeFileSync(path.join(dir, f), f.toUpperCase());
    const files = kubeAccessOf(
      doc(`certificate-authority: ${dir}/ca`, `client-certificate: ${dir}/cert, client-key: ${dir}/key`),
    );
    assert.deepEqual([files.ca, files.cert, files.key].map(String), ['CA', 'CERT', 'KEY']);
    assert.throws(() => kubeAccessOf('current-context: none\n'), /no current context/);
    assert.throws(() => kubeAccessOf(doc('', 'client-key-data: eA==')), /neither certificate-authority-data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status: Kubernetes rows with roles and labels, the NUC rows, and why a part is unavailable', () => {
  const s: WarehouseStatus = {
    dir: '/run/x',
    k8sMode: { real: false, reason: 'r' },
    loss: { percent: 5, applied: false, reason: 'no netem' },
    kubernetes: {
      from: 'n2',
      clusterId: 'c1',
      etcdMembers: 1,
      nodes: [
        {
          name: 'nuc-1',
          ready: true,
          roles: ['control-plane', 'etcd'],
          kubeletVersion: 'v1',
          addresses: [],
          labels: { 'nucmesh.io/model': 'NUC11ATKC4', 'nucmesh.io/memory-gib': '16' },
        },
        { name: 'nuc-2', ready: false, roles: [], kubeletVersion: 'v1', addresses: [], labels: {} },
      ],
    },
    nodes: [
      {
        name: 'n1',
        netns: 'p-n1',
        address: '10.88.0.1',
        capture: 'cap',
        serialOverride: 'VWH1',
        pid: 7,
        running: false,
        nucmesh: { unavailable: 'its agent is not running' },
      },
    ],
  };
  const text = formatStatus(s);
  assert.match(text, /^Kubernetes: the stand-in's placeholder Kubernetes API, because r$/m);
  assert.match(text, /Packet loss: none \(no netem\)/);
  assert.match(text, /through n2\): 2, 1 Ready/);
  assert.match(text, /^nuc-1 +True +control-plane,etcd +NUC11ATKC4 +16 /m);
  assert.match(text, /^nuc-2 +False +<none> +- +- /m);
  assert.match(text, /^n1 +p-n1 +10\.88\.0\.1 +cap\* +7 \(gone\) +- +\(its agent is not running\)/m);
  assert.match(formatStatus({ ...s, kubernetes: { unavailable: 'no server yet' } }), /unavailable: no server yet/);
});

test('up is refused over a warehouse, a foreign folder, or namespaces of its prefix', () => {
  const dir = scratch();
  try {
    const prefix = prefixFor(dir);
    assert.match(prefix, /^nmwh[0-9a-f]{4}-$/);
    assert.notEqual(prefix, prefixFor(`${dir}x`));
    assert.equal(upRefusal(path.join(dir, 'new'), []), undefined);
    assert.equal(upRefusal(dir, ['nmd1-0-lan-a']), undefined, 'an empty folder, other namespaces');
    assert.match(upRefusal(dir, [`${prefix}n1`]) ?? '', /namespaces named like this warehouse's/);
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    assert.match(upRefusal(dir, []) ?? '', /not empty and holds no warehouse state/);
    const state = { version: 1, dir, prefix, createdAt: 'T', lanNetns: 'l', fleetFile: 'f', nodes: [] };
    writeState({ ...state, k8s: { real: false, reason: 'r' } } as WarehouseState);
    assert.match(upRefusal(dir, []) ?? '', /already up in .* \(0 NUCs since T\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real parts only with a stand-in that reads K3S_STANDIN_K8S_BINS and the parts built', () => {
  const dir = scratch();
  try {
    writeFileSync(path.join(dir, 'main.js'), 'console.log(1)');
    assert.equal(standInRunsRealParts(dir), false);
    const without = k8sMode({ NUCMESH_K8S_BINS: dir }, dir);
    assert.ok(!without.real && /does not run real parts yet/.test(without.reason));
    writeFileSync(path.join(dir, 'parts.js'), "process.env['K3S_STANDIN_K8S_BINS']");
    const unbuilt = k8sMode({ NUCMESH_K8S_BINS: path.join(dir, 'bins') }, dir);
    assert.ok(!unbuilt.real && /real Kubernetes parts not built/.test(unbuilt.reason), JSON.stringify(unbuilt));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the command line: --help, and usage errors (exit 2) before anything is made', () => {
  const tool = path.join(repoRoot, 'dist/test/tools/virtual-warehouse/main.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [tool, ...args], { encoding: 'utf8' });
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: scripts\/virtual-warehouse\.sh up N \[--loss PCT\]/);
  for (const [args, why] of [
    [['up'], /up needs the number of NUCs/],
    [['up', '3', '--loss', '150'], /--loss must be a number from 0 to 100/],
    [['status', '--loss', '3'], /--loss is an option of up/],
    [['down', '--placeholder'], /--placeholder is an option of up/],
    [['down', '--json'], /--json is an option of status/],
    [['sideways'], /unknown command 'sideways'/],
    [['up', '--frob'], /Unknown option '--frob'/],
  ] as const) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
  }
});
