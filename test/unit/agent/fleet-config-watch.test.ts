/** The fleet config as the agent waits for it: missing, invalid (naming the field), loaded. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newFleetConfig, renderFleetConfig } from '../../../src/config/fleet.js';
import {
  describeFleetProblem,
  readFleetConfigStatus,
  watchFleetConfig,
  type FleetConfigStatus,
} from '../../../src/agent/fleet-config-watch.js';

const UUID = '6f1e6a0c-3b6d-4c8e-9b1a-2f5d7e9a0c11';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'nucmesh-fleetwatch-'));
}

describe('reading the fleet config candidates', () => {
  it('is missing when no candidate exists, listing where it looked', async () => {
    const dir = tmp();
    try {
      const looked = [path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')];
      assert.deepEqual(await readFleetConfigStatus(looked), { kind: 'missing', looked });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a broken first file instead of passing over it to a valid second one', async () => {
    const dir = tmp();
    try {
      const [first, second] = [path.join(dir, 'esp.yaml'), path.join(dir, 'etc.yaml')];
      const cfg = newFleetConfig('w');
      writeFileSync(first, renderFleetConfig({ ...cfg, api: { ...cfg.api, port: 70000 } }), { mode: 0o600 });
      writeFileSync(second, renderFleetConfig(cfg), { mode: 0o600 });
      const s = await readFleetConfigStatus([first, second]);
      assert.equal(s.kind, 'invalid');
      if (s.kind !== 'invalid') return;
      assert.equal(s.path, first);
      const { state, detail } = describeFleetProblem(s);
      assert.equal(state, 'bad-fleet-config');
      assert.match(detail, /esp\.yaml: \/api\/port: /, 'the detail names the file and the field');
      assert.match(detail, /65535|maximum|less/i, 'and what was expected');
      assert.match(detail, /goes on by itself/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports YAML that does not parse and a file it cannot read', async () => {
    const dir = tmp();
    try {
      const file = path.join(dir, 'f.yaml');
      writeFileSync(file, 'name: [unclosed\n', { mode: 0o600 });
      let s = await readFleetConfigStatus([file]);
      assert.equal(s.kind, 'invalid');
      assert.match(describeFleetProblem(s as Exclude<FleetConfigStatus, { kind: 'loaded' }>).detail, /YAML/);
      rmSync(file);
      mkdirSync(file); // a directory where the file should be: it exists, but cannot be read as one
      s = await readFleetConfigStatus([file]);
      assert.equal(s.kind, 'invalid');
      assert.match(describeFleetProblem(s as Exclude<FleetConfigStatus, { kind: 'loaded' }>).detail, /EISDIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what the technician is told when the file is not there', () => {
  const missing = { kind: 'missing' as const, looked: ['/boot/efi/nucmesh/fleet.yaml', '/etc/nucmesh/fleet.yaml'] };
  const loc = { partuuid: UUID, source: 'loader' as const, device: `/dev/disk/by-partuuid/${UUID}` };

  it('says where to copy the file, and how the EFI partition stands', () => {
    const plain = describeFleetProblem(missing, { present: true, mountedFrom: '/dev/nvme0n1p1', location: loc });
    assert.equal(plain.state, 'no-fleet-config');
    assert.match(
      plain.detail,
      /^no fleet config at \/boot\/efi\/nucmesh\/fleet\.yaml, \/etc\/nucmesh\/fleet\.yaml\. Copy .*nucmesh fleet init.* to nucmesh\/fleet\.yaml on the EFI partition; the node goes on by itself$/,
    );
    assert.match(
      describeFleetProblem(missing, { present: false, location: loc }).detail,
      new RegExp(`waiting for the EFI partition PARTUUID=${UUID} \\(named by the boot loader\\) to appear`),
    );
    assert.match(
      describeFleetProblem(missing, { present: true, location: { ...loc, source: 'cmdline' } }).detail,
      /is there but not mounted at \/boot\/efi yet/,
    );
    assert.match(describeFleetProblem(missing, { present: false }).detail, /the boot loader named no EFI partition/);
  });

  it('does not talk about the EFI partition for a file elsewhere', () => {
    const d = describeFleetProblem({ kind: 'missing', looked: ['/srv/fleet.yaml'] }, { present: false }).detail;
    assert.doesNotMatch(d, /EFI/);
    assert.match(d, /to \/srv\/fleet\.yaml;/);
  });
});

describe('watching the path', () => {
  it('tells of each look and resolves once a valid file appears, after a broken one is fixed', async () => {
    const dir = tmp();
    try {
      const file = path.join(dir, 'fleet.yaml');
      const seen: string[] = [];
      const watch = watchFleetConfig({ candidates: [file], pollMs: 20, onStatus: (s) => void seen.push(s.kind) });
      await new Promise((r) => setTimeout(r, 80));
      writeFileSync(file, 'version: 1\nname: x\n', { mode: 0o600 });
      await new Promise((r) => setTimeout(r, 80));
      const cfg = newFleetConfig('warehouse-7');
      writeFileSync(file, renderFleetConfig(cfg), { mode: 0o600 });
      const loaded = await watch.loaded;
      assert.equal(loaded.config.name, 'warehouse-7');
      assert.equal(seen[0], 'missing');
      assert.ok(seen.includes('invalid'), `a broken file is reported: ${seen.join(',')}`);
      assert.equal(seen.at(-1), 'loaded');
      watch.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stop rejects the pending promise and looks no more', async () => {
    const dir = tmp();
    try {
      let looks = 0;
      const watch = watchFleetConfig({
        candidates: [path.join(dir, 'none.yaml')],
        pollMs: 10,
        onStatus: () => void looks++,
      });
      await new Promise((r) => setTimeout(r, 50));
      watch.stop();
      await assert.rejects(watch.loaded, /stopped/);
      const after = looks;
      await new Promise((r) => setTimeout(r, 60));
      assert.ok(looks <= after + 1, 'no more looks after stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
