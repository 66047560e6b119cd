/**
 * The install sequence on image files (no root, no loop devices): a small nucmesh-like stick
 * (GPT, FAT ESP with a systemd-boot entry, ext4 root) installed onto a larger file. Skipped
 * where sfdisk, mtools, mkfs.vfat or e2fsprogs are missing.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInstall, type InstallIo } from '../../../src/installer/install.js';
import { readLayout } from '../../../src/installer/facts.js';
import { runTool } from '../../../src/installer/run-tool.js';
import { parseMarker } from '../../../src/installer/marker.js';
import { parseSfdiskJson, ESP_TYPE, ROOT_X86_64_TYPE } from '../../../src/installer/layout.js';
import { createLogger } from '../../../src/log.js';

const tools = ['sfdisk', 'mkfs.vfat', 'mcopy', 'mtype', 'mlabel', 'mkfs.ext4', 'tune2fs', 'dumpe2fs', 'e2fsck'];
const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = missing.length ? `missing: ${missing.join(', ')}` : false;
const MiB = 1024 * 1024;
const quiet = createLogger({ level: 'silent', format: 'json' });
const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const fileIo: InstallIo = { run: runTool, dropCache: async () => {}, rereadPartitions: async () => {} };
const ESP_UUID = '0a0a0a0a-0000-4000-8000-000000000001';
const ROOT_UUID = '0b0b0b0b-0000-4000-8000-000000000002';

describe('the install sequence on image files', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-install-'));
  const stick = path.join(dir, 'stick.img');
  before(() => {
    const esp = path.join(dir, 'esp.img');
    execFileSync('mkfs.vfat', ['-F', '32', '-n', 'NUCMESH-ESP', '-C', esp, String(33 * 1024)], { stdio: 'ignore' });
    const entry = path.join(dir, 'nucmesh.conf');
    writeFileSync(entry, `title nucmesh\noptions root=PARTUUID=${ROOT_UUID} nucmesh.esp=PARTUUID=${ESP_UUID} ro\n`);
    execFileSync('mmd', ['-i', esp, '::/loader', '::/loader/entries'], { env });
    execFileSync('mcopy', ['-i', esp, entry, '::/loader/entries/nucmesh.conf'], { env });
    const root = path.join(dir, 'root.img');
    execFileSync('mkfs.ext4', ['-q', '-L', 'nucmesh-root', '-O', 'metadata_csum_seed', root, '16M']);
    execFileSync('truncate', ['-s', String(52 * MiB), stick]);
    execFileSync('sfdisk', ['--quiet', stick], {
      input: `label: gpt\nstart=1MiB, size=33MiB, type=${ESP_TYPE}, uuid=${ESP_UUID}, name=nucmesh-esp\nstart=34MiB, size=16MiB, type=${ROOT_X86_64_TYPE}, uuid=${ROOT_UUID}, name=nucmesh-root\n`,
    });
    execFileSync('dd', [`if=${esp}`, `of=${stick}`, 'bs=1M', 'seek=1', 'conv=notrunc', 'status=none']);
    execFileSync('dd', [`if=${root}`, `of=${stick}`, 'bs=1M', 'seek=34', 'conv=notrunc', 'status=none']);
  });

  const job = async (target: string, size: number) => ({
    source: stick,
    target,
    targetSizeBytes: size,
    targetSectorSize: 512,
    layout: await readLayout(runTool, stick, { sizeBytes: size, sectorSize: 512 }),
    version: 'test',
    bootEntry: false,
  });

  it('copies, verifies, gives new IDs, writes the GPT last; the stick is unchanged', async () => {
    const target = path.join(dir, 'target.img');
    execFileSync('truncate', ['-s', String(128 * MiB), target]);
    const before = sha(stick);
    const j = await job(target, 128 * MiB);
    const phases: string[] = [];
    const r = await runInstall(j, fileIo, quiet, (p) => {
      if (phases.at(-1) !== p.phase) phases.push(p.phase);
    });
    assert.deepEqual(phases, ['prepare', 'write', 'verify', 'identity', 'partition', 'done']);
    assert.equal(r.bytes, 49 * MiB);
    assert.equal(sha(stick), before, 'the stick was written to');
    const gpt = parseSfdiskJson(execFileSync('sfdisk', ['-J', target], { encoding: 'utf8' }));
    assert.equal(gpt.id.toLowerCase(), j.layout.ids.diskId);
    assert.deepEqual(
      gpt.partitions.map((p) => [p.uuid, p.name]),
      [
        [j.layout.ids.espPartUuid, 'nucmesh-esp'],
        [j.layout.ids.rootPartUuid, 'nucmesh-root'],
      ],
    );
    assert.ok(
      (gpt.partitions[1]?.start ?? 0) + (gpt.partitions[1]?.size ?? 0) > 120 * 2048,
      'root reaches the end of the disk',
    );
    const entry = execFileSync('mtype', ['-i', `${target}@@${MiB}`, '::/loader/entries/nucmesh.conf'], {
      env,
      encoding: 'utf8',
    });
    assert.match(
      entry,
      new RegExp(`root=PARTUUID=${j.layout.ids.rootPartUuid} nucmesh.esp=PARTUUID=${j.layout.ids.espPartUuid}`),
    );
    const rootSpec = `${target}?offset=${34 * MiB}`;
    assert.match(
      spawnSync('dumpe2fs', ['-h', rootSpec], { encoding: 'utf8' }).stdout,
      new RegExp(j.layout.ids.rootFsUuid),
    );
    execFileSync('e2fsck', ['-fn', rootSpec], { stdio: 'ignore' }); // throws when the file system is damaged
    const label = execFileSync('mlabel', ['-s', '-i', `${target}@@${MiB}`, '::'], { env, encoding: 'utf8' });
    assert.match(label, /NUCMESH-ESP/);
  });

  it('a cut after the payload leaves no partition table and the marker in its place', async () => {
    const target = path.join(dir, 'cut.img');
    execFileSync('truncate', ['-s', String(96 * MiB), target]);
    const cutIo: InstallIo = { ...fileIo, dropCache: async () => Promise.reject(new Error('power cut')) };
    await assert.rejects(runInstall(await job(target, 96 * MiB), cutIo, quiet), /power cut/);
    const lba1 = Buffer.alloc(512);
    readFileSync(target).copy(lba1, 0, 512, 1024);
    assert.equal(parseMarker(lba1)?.version, 'test');
    assert.notEqual(spawnSync('sfdisk', ['-J', target]).status, 0, 'sfdisk finds a partition table');
  });

  it('refuses a target smaller than the payload', async () => {
    const target = path.join(dir, 'small.img');
    execFileSync('truncate', ['-s', String(40 * MiB), target]);
    await assert.rejects(runInstall(await job(target, 40 * MiB), fileIo, quiet), /too small/);
  });
});
