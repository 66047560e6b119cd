import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clean, cleanMac, cleanUuid, parseSize } from '../../../../src/firstboot/hardware/clean.js';
import { detectPlatform, nucModelOf, type PlatformInput } from '../../../../src/firstboot/hardware/platform.js';
import { isVirtualNicName } from '../../../../src/firstboot/hardware/nic-kind.js';

test('placeholders named in the issue are null; real strings are trimmed', () => {
  for (const p of [
    'To Be Filled By O.E.M.',
    'To be filled by O.E.M.',
    'Default string',
    'System Product Name',
    'Not Specified',
    '--',
    '0',
    '',
    '   ',
    '\t',
    'Unknown',
    '00000000',
    'FFFFFFFF',
  ]) {
    assert.equal(clean(p), null, JSON.stringify(p));
    assert.equal(clean(`  ${p}   `), null, JSON.stringify(p));
  }
  assert.equal(clean('NUC11TNHi5   '), 'NUC11TNHi5');
  assert.equal(clean('  Intel(R) Client Systems'), 'Intel(R) Client Systems');
  assert.equal(clean('G6TN12345678'), 'G6TN12345678');
  assert.equal(clean(undefined), null);
  assert.equal(clean(42), null);
});

test('UUIDs: all-zero, all-F, anonymised and the well-known shared board UUID are null', () => {
  for (const u of [
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    '--',
    'Not Settable',
    '03000200-0400-0500-0006-000700080009',
    'CE09A4C45B2CDB64',
    '',
  ])
    assert.equal(cleanUuid(u), null, u);
  assert.equal(cleanUuid('8C2A1B3C-D4E5-11EB-8000-1C697A0B0C0D '), '8c2a1b3c-d4e5-11eb-8000-1c697a0b0c0d');
});

test('MACs: anonymised "...", 32-hex hashes and all-zero are null', () => {
  for (const m of ['...', '8CA23C0E622C440B2F42A3079DA3CA13', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '', '1c:69:7a'])
    assert.equal(cleanMac(m), null, m);
  assert.equal(cleanMac('1C:69:7A:0B:0C:0D'), '1c:69:7a:0b:0c:0d');
});

test('sizes in dmidecode and /proc units', () => {
  assert.equal(parseSize('8 GB'), 8 * 1024 ** 3);
  assert.equal(parseSize('4096 MB'), 4 * 1024 ** 3);
  assert.equal(parseSize('16384 kB'), 16 * 1024 ** 2);
  assert.equal(parseSize('No Module Installed'), null);
});

const blank: PlatformInput = {
  systemVendor: null,
  systemProduct: null,
  systemSku: null,
  boardVendor: null,
  boardName: null,
  virtualization: null,
};

test('NUC models from NUC5 to the ASUS-made NUC 14, with their generation', () => {
  const cases: [Partial<PlatformInput>, string, number][] = [
    [{ boardVendor: 'Intel Corporation', boardName: 'NUC5i5RYB' }, 'NUC5i5RYB', 5],
    [{ systemProduct: 'NUC6CAYH' }, 'NUC6CAYH', 6],
    [{ systemProduct: 'NUC7CJYH' }, 'NUC7CJYH', 7],
    [{ systemProduct: 'NUC8i7HVK' }, 'NUC8i7HVK', 8],
    [{ systemProduct: 'NUC9VXQNX' }, 'NUC9VXQNX', 9],
    [{ systemProduct: 'NUC10i7FNH' }, 'NUC10i7FNH', 10],
    [{ boardName: 'NUC11TNBv7' }, 'NUC11TNBv7', 11],
    [{ systemProduct: 'NUC11TNHi5', boardName: 'NUC11TNBi5' }, 'NUC11TNHi5', 11],
    [{ systemProduct: 'NUC12WSHi5' }, 'NUC12WSHi5', 12],
    [{ systemVendor: 'ASUSTeK COMPUTER INC.', systemProduct: 'NUC13ANH-B' }, 'NUC13ANH-B', 13],
    [{ systemVendor: 'ASUSTeK COMPUTER INC.', systemProduct: 'NUC14RVH-B', boardName: 'NUC14RVB' }, 'NUC14RVH-B', 14],
    [{ systemVendor: 'ASUSTeK COMPUTER INC.', systemProduct: 'NUC14RVHU7' }, 'NUC14RVHU7', 14],
    [{ systemProduct: 'To be filled', boardName: 'NUC14MNB' }, 'NUC14MNB', 14],
  ];
  for (const [input, model, generation] of cases) {
    assert.deepEqual(detectPlatform({ ...blank, ...input }), { kind: 'nuc', model, generation }, JSON.stringify(input));
  }
});

test('a QEMU VM that claims to be a NUC (smbios type=1) is a NUC; plain VMs and bare containers are virtual; others are other', () => {
  assert.equal(
    detectPlatform({
      ...blank,
      systemVendor: 'Intel(R) Client Systems',
      systemProduct: 'NUC11TNHi5',
      virtualization: 'qemu',
    }).kind,
    'nuc',
  );
  assert.equal(
    detectPlatform({ ...blank, systemVendor: 'QEMU', systemProduct: 'Standard PC (Q35 + ICH9, 2009)' }).kind,
    'virtual',
  );
  assert.equal(detectPlatform({ ...blank, virtualization: 'kvm', systemProduct: 'Some Board' }).kind, 'virtual');
  assert.deepEqual(detectPlatform({ ...blank, virtualization: 'docker' }), {
    kind: 'virtual',
    model: null,
    generation: null,
  });
  assert.deepEqual(detectPlatform({ ...blank, systemVendor: 'Dell Inc.', systemProduct: 'OptiPlex Micro 7010' }), {
    kind: 'other',
    model: 'OptiPlex Micro 7010',
    generation: null,
  });
  assert.deepEqual(detectPlatform(blank), { kind: 'other', model: null, generation: null });
  assert.equal(nucModelOf('BNUC11ATKC4000'), null, 'a SKU with a prefix glued to NUC is not a model token');
  assert.equal(nucModelOf('Intel NUC')?.generation ?? null, null);
});

test('virtual interface names: docker0, br-*, veth*, cni*, flannel*, tun*, lo', () => {
  for (const n of ['docker0', 'br-0c8ab93c6893', 'veth388f8a3', 'cni0', 'flannel.1', 'tun0', 'lo'])
    assert.equal(isVirtualNicName(n), true, n);
  for (const n of ['eno1', 'enp0s25', 'wlp2s0', 'eth0', 'wlo1']) assert.equal(isVirtualNicName(n), false, n);
});
