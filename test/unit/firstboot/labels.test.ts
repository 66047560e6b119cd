import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  isValidLabelKey,
  isValidLabelValue,
  nfdFeaturesFile,
  nodeLabels,
  sanitizeLabelValue,
} from '../../../src/firstboot/labels.js';
import { detectInventory } from '../../../src/firstboot/hardware/index.js';
import { hardwareFixturesDir, ownFixturesDir, sharedFixturesMissing } from '../../helpers/paths.js';

/** Kubernetes' own rules (apimachinery validation), written independently of the code under test. */
function k8sValidKey(key: string): boolean {
  const [prefix, name, extra] = key.split('/');
  if (extra !== undefined || name === undefined || prefix === undefined) return false;
  return (
    prefix.length <= 253 &&
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(prefix) &&
    name.length <= 63 &&
    /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name)
  );
}
function k8sValidValue(v: string): boolean {
  return v.length <= 63 && (v === '' || /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v));
}

test('labels of the synthetic NUC 11: platform, model, generation, CPU, cores, memory GiB, disks by kind, TPM', async () => {
  const labels = nodeLabels(
    await detectInventory({ from: path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7') }),
  );
  assert.equal(labels['nucmesh.io/platform'], 'nuc');
  assert.equal(labels['nucmesh.io/model'], 'NUC11TNBv7');
  assert.equal(labels['nucmesh.io/generation'], '11');
  assert.equal(labels['nucmesh.io/cpu-vendor'], 'Intel');
  assert.equal(labels['nucmesh.io/cpu-model'], '11th-Gen-Intel-Core-i7-1165G7-2.80GHz');
  assert.equal(labels['nucmesh.io/cpu-cores'], '4');
  assert.equal(labels['nucmesh.io/memory-gib'], '32');
  assert.equal(labels['nucmesh.io/disks'], '3');
  assert.equal(labels['nucmesh.io/disk-nvme'], '1');
  assert.equal(labels['nucmesh.io/disk-usb'], '1');
  assert.equal(labels['nucmesh.io/disk-mmc'], '1');
  assert.equal(labels['nucmesh.io/tpm'], 'true');
  assert.equal(labels['nucmesh.io/tpm-version'], '2.0');
  assert.equal(labels['nucmesh.io/cpu-vmx'], 'true');
  assert.equal(labels['nucmesh.io/cpu-sha-ni'], 'true');
  assert.ok(Object.keys(labels).every((k) => k.startsWith('nucmesh.io/')));
});

test(
  "every label of every fixture machine is valid by Kubernetes' rules",
  { skip: sharedFixturesMissing() },
  async () => {
    for (const d of readdirSync(hardwareFixturesDir).filter((x) =>
      statSync(path.join(hardwareFixturesDir, x)).isDirectory(),
    )) {
      const labels = nodeLabels(await detectInventory({ from: path.join(hardwareFixturesDir, d) }));
      assert.ok(Object.keys(labels).length >= 3, d);
      for (const [k, v] of Object.entries(labels)) {
        assert.ok(k8sValidKey(k), `${d}: key ${k}`);
        assert.ok(k8sValidValue(v), `${d}: ${k}=${v}`);
        assert.ok(isValidLabelKey(k) && isValidLabelValue(v));
      }
    }
  },
);

test('sanitising: odd characters, long strings and bad ends become valid values', () => {
  const samples = [
    'Intel(R) Xeon(R) E-2286M  CPU @ 2.40GHz',
    'ASUSTeK COMPUTER INC.',
    '-_.leading and trailing._-',
    'x'.repeat(200),
    'ü∑ unicode ✓',
    '   ',
    '(R)',
    `${'a'.repeat(62)}-b`,
  ];
  for (const s of samples) {
    const v = sanitizeLabelValue(s);
    assert.ok(k8sValidValue(v), `${JSON.stringify(s)} → ${JSON.stringify(v)}`);
  }
  assert.equal(sanitizeLabelValue('Intel(R) Xeon(R) E-2286M  CPU @ 2.40GHz'), 'Intel-Xeon-E-2286M-CPU-2.40GHz');
  assert.equal(sanitizeLabelValue('x'.repeat(200)).length, 63);
  assert.equal(isValidLabelKey('nucmesh.io/' + 'a'.repeat(64)), false);
  assert.equal(isValidLabelKey('nucmesh.io/-bad'), false);
  assert.equal(isValidLabelValue('a'.repeat(64)), false);
});

test('the NFD local-features file holds one name=value line per label', async () => {
  const inv = await detectInventory({ from: path.join(ownFixturesDir, 'hardware/synthetic-nuc11tnbv7') });
  const lines = nfdFeaturesFile(inv)
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(
    lines,
    Object.entries(nodeLabels(inv)).map(([k, v]) => `${k}=${v}`),
  );
});
