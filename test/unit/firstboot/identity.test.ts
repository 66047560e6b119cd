import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deriveIdentity, identityFile, loadIdentity, loadOrCreateIdentity } from '../../../src/firstboot/identity.js';
import { detectInventory } from '../../../src/firstboot/hardware/index.js';
import { buildInventory } from '../../../src/firstboot/hardware/build-inventory.js';
import { readCaptureDir } from '../../../src/firstboot/hardware/capture-dir.js';
import type { Inventory } from '../../../src/firstboot/hardware/types.js';
import { ownFixturesDir, hardwareFixturesDir, sharedFixturesMissing } from '../../helpers/paths.js';

const synthetic = path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7');
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

async function syntheticWith(edit: (files: Map<string, string>) => void): Promise<Inventory> {
  const src = await readCaptureDir(synthetic);
  edit(src.files);
  return buildInventory(src);
}

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'nucmesh-id-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('same hardware → same node ID (a reinstall with an empty data dir gets it again); the hostname is a DNS label', async (t) => {
  const inv = await detectInventory({ from: synthetic });
  const a = await loadOrCreateIdentity(await tempDir(t), inv);
  const b = await loadOrCreateIdentity(await tempDir(t), await detectInventory({ from: synthetic }));
  assert.equal(a.source, 'dmi-uuid');
  assert.equal(a.nodeId, b.nodeId);
  assert.match(a.nodeId, /^[0-9a-f]{32}$/);
  assert.equal(a.short, a.nodeId.slice(0, 8));
  assert.equal(a.hostname, `nuc-${a.short}`);
  assert.match(a.hostname, DNS_LABEL);
});

test("the chain: UUID, else system serial, else board serial, else the first physical NIC's permanent MAC; placeholders skipped", async () => {
  const byUuid = deriveIdentity(await syntheticWith(() => {}));
  const otherUuid = deriveIdentity(
    await syntheticWith((f) => f.set('dmi-id/product_uuid', '11111111-2222-3333-4444-555555555555\n')),
  );
  assert.notEqual(byUuid?.nodeId, otherUuid?.nodeId, 'different hardware → different ID');

  const noUuid = (f: Map<string, string>) => {
    f.set('dmi-id/product_uuid', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n');
    f.delete('dmidecode.txt');
  };
  const bySerial = deriveIdentity(
    await syntheticWith((f) => {
      noUuid(f);
      f.set('dmi-id/product_serial', 'G6TN12345678\n');
    }),
  );
  assert.equal(bySerial?.source, 'system-serial');
  const byBoard = deriveIdentity(await syntheticWith(noUuid)); // product_serial is "To Be Filled By O.E.M."
  assert.equal(byBoard?.source, 'board-serial');
  const byMac = await syntheticWith((f) => {
    noUuid(f);
    f.set('dmi-id/board_serial', 'Default string\n');
  });
  const macId = deriveIdentity(byMac);
  assert.equal(macId?.source, 'mac');
  // wired eno1 comes before the Wi-Fi card; docker0/veth never count.
  const withoutEno1 = deriveIdentity({ ...byMac, nics: byMac.nics.filter((n) => n.name !== 'eno1') });
  assert.equal(withoutEno1?.source, 'mac');
  assert.notEqual(withoutEno1?.nodeId, macId?.nodeId);
  assert.equal(
    deriveIdentity({ ...byMac, nics: byMac.nics.filter((n) => n.virtual) }),
    null,
    'only virtual NICs: nothing stable',
  );
  const ids = new Set([byUuid, bySerial, byBoard, macId].map((i) => i?.nodeId));
  assert.equal(ids.size, 4);
});

test(
  'anonymised fixtures (serials "--", MACs "...") have no stable ID: a random one is generated once and persisted',
  { skip: sharedFixturesMissing() },
  async (t) => {
    const inv = await detectInventory({ from: path.join(hardwareFixturesDir, 'intel-nuc11atkc4') });
    assert.equal(deriveIdentity(inv), null);
    const dir = await tempDir(t);
    const first = await loadOrCreateIdentity(dir, inv);
    assert.equal(first.source, 'random');
    const again = await loadOrCreateIdentity(dir, inv);
    assert.deepEqual(again, first, 'persisted: the random ID does not change');
    const other = await loadOrCreateIdentity(await tempDir(t), inv);
    assert.notEqual(other.nodeId, first.nodeId, 'a fresh data dir gets another random ID');
    const saved = JSON.parse(await readFile(identityFile(dir), 'utf8')) as Record<string, unknown>;
    assert.equal(saved['nodeId'], first.nodeId);
  },
);

test('a persisted identity wins over the hardware; a corrupt identity file is a clear error', async (t) => {
  const dir = await tempDir(t);
  const a = await loadOrCreateIdentity(dir, await detectInventory({ from: synthetic }));
  const other = await syntheticWith((f) => f.set('dmi-id/product_uuid', '11111111-2222-3333-4444-555555555555\n'));
  assert.equal((await loadOrCreateIdentity(dir, other)).nodeId, a.nodeId);
  await writeFile(identityFile(dir), '{"nodeId": "x"}');
  await assert.rejects(
    loadIdentity(dir),
    (e: Error & { code?: string }) => e.code === 'E_IDENTITY_CORRUPT' && /identity\.json/.test(e.message),
  );
});
