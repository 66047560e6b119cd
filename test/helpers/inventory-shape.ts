/** Checks that a value has the inventory contract's shape (types.ts), field by field, naming the bad one. */
import assert from 'node:assert/strict';

type Kind = 'string' | 'number' | 'boolean';

function nullable(v: unknown, kind: Kind, where: string): void {
  assert.ok(v === null || typeof v === kind, `${where} must be ${kind} or null, got ${JSON.stringify(v)}`);
  if (typeof v === 'string')
    assert.ok(v.trim() === v && v !== '', `${where} must be trimmed and non-empty, got ${JSON.stringify(v)}`);
}

function obj(v: unknown, where: string): Record<string, unknown> {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${where} must be an object`);
  return v as Record<string, unknown>;
}

function arr(v: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(v), `${where} must be an array`);
  return v;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function assertInventoryShape(value: unknown): void {
  const inv = obj(value, 'inventory');
  const system = obj(inv['system'], 'system');
  for (const k of ['vendor', 'product', 'version', 'serial', 'uuid', 'sku', 'family'])
    nullable(system[k], 'string', `system.${k}`);
  if (system['uuid'] !== null)
    assert.match(String(system['uuid']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const board = obj(inv['board'], 'board');
  for (const k of ['vendor', 'name', 'version', 'serial']) nullable(board[k], 'string', `board.${k}`);
  const bios = obj(inv['bios'], 'bios');
  for (const k of ['vendor', 'version', 'date']) nullable(bios[k], 'string', `bios.${k}`);
  nullable(obj(inv['chassis'], 'chassis')['type'], 'string', 'chassis.type');
  const cpu = obj(inv['cpu'], 'cpu');
  nullable(cpu['vendor'], 'string', 'cpu.vendor');
  nullable(cpu['model'], 'string', 'cpu.model');
  for (const k of ['sockets', 'cores', 'threads']) {
    nullable(cpu[k], 'number', `cpu.${k}`);
    if (cpu[k] !== null)
      assert.ok(Number.isInteger(cpu[k]) && (cpu[k] as number) > 0, `cpu.${k} must be a positive integer`);
  }
  for (const f of arr(cpu['flags'], 'cpu.flags')) assert.equal(typeof f, 'string', 'cpu.flags[] are strings');
  const memory = obj(inv['memory'], 'memory');
  nullable(memory['totalBytes'], 'number', 'memory.totalBytes');
  arr(memory['modules'], 'memory.modules').forEach((m, i) => {
    const mod = obj(m, `memory.modules[${i}]`);
    assert.ok(typeof mod['sizeBytes'] === 'number' && mod['sizeBytes'] > 0, `memory.modules[${i}].sizeBytes`);
    nullable(mod['type'], 'string', `memory.modules[${i}].type`);
    nullable(mod['speedMTs'], 'number', `memory.modules[${i}].speedMTs`);
    nullable(mod['locator'], 'string', `memory.modules[${i}].locator`);
  });
  arr(inv['disks'], 'disks').forEach((d, i) => {
    const disk = obj(d, `disks[${i}]`);
    assert.ok(typeof disk['name'] === 'string' && disk['name'] !== '', `disks[${i}].name`);
    nullable(disk['sizeBytes'], 'number', `disks[${i}].sizeBytes`);
    assert.ok(
      ['nvme', 'sata', 'usb', 'mmc', 'virtio', 'scsi', 'unknown'].includes(String(disk['transport'])),
      `disks[${i}].transport`,
    );
    nullable(disk['rotational'], 'boolean', `disks[${i}].rotational`);
    nullable(disk['removable'], 'boolean', `disks[${i}].removable`);
    nullable(disk['model'], 'string', `disks[${i}].model`);
    nullable(disk['serial'], 'string', `disks[${i}].serial`);
  });
  arr(inv['nics'], 'nics').forEach((n, i) => {
    const nic = obj(n, `nics[${i}]`);
    assert.ok(typeof nic['name'] === 'string' && nic['name'] !== '', `nics[${i}].name`);
    nullable(nic['mac'], 'string', `nics[${i}].mac`);
    if (nic['mac'] !== null) assert.match(String(nic['mac']), MAC, `nics[${i}].mac`);
    nullable(nic['driver'], 'string', `nics[${i}].driver`);
    assert.equal(typeof nic['virtual'], 'boolean', `nics[${i}].virtual`);
    nullable(nic['speedMbps'], 'number', `nics[${i}].speedMbps`);
    for (const a of arr(nic['addresses'], `nics[${i}].addresses`)) assert.equal(typeof a, 'string');
  });
  arr(inv['gpus'], 'gpus');
  const tpm = obj(inv['tpm'], 'tpm');
  assert.equal(typeof tpm['present'], 'boolean', 'tpm.present');
  nullable(tpm['version'], 'string', 'tpm.version');
  nullable(inv['virtualization'], 'string', 'virtualization');
  nullable(inv['kernel'], 'string', 'kernel');
  const os = obj(inv['os'], 'os');
  for (const k of ['id', 'name', 'version']) nullable(os[k], 'string', `os.${k}`);
  const platform = obj(inv['platform'], 'platform');
  assert.ok(['nuc', 'other', 'virtual'].includes(String(platform['kind'])), 'platform.kind');
  nullable(platform['model'], 'string', 'platform.model');
  nullable(platform['generation'], 'number', 'platform.generation');
  if (platform['kind'] !== 'nuc') assert.equal(platform['generation'], null, 'only NUCs have a generation');
  for (const w of arr(inv['warnings'], 'warnings')) assert.equal(typeof w, 'string');
}
