/**
 * The parsers never throw: random bytes, truncated and line-shuffled real files all give
 * a result (possibly empty). The PRNG is seeded; the seed is in the test name to replay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseDmidecode } from '../../../../src/firstboot/hardware/parsers/dmidecode.js';
import { parseDmiId } from '../../../../src/firstboot/hardware/parsers/dmi-id.js';
import { parseCpuinfo } from '../../../../src/firstboot/hardware/parsers/cpuinfo.js';
import { parseLscpu } from '../../../../src/firstboot/hardware/parsers/lscpu.js';
import { parseMeminfo } from '../../../../src/firstboot/hardware/parsers/meminfo.js';
import { parseLsblk } from '../../../../src/firstboot/hardware/parsers/lsblk.js';
import { parseIpAddr, parseIpLink } from '../../../../src/firstboot/hardware/parsers/ip.js';
import { parseLspci } from '../../../../src/firstboot/hardware/parsers/lspci.js';
import { parseHwinfo } from '../../../../src/firstboot/hardware/parsers/hwinfo.js';
import {
  parseKernel,
  parseOsRelease,
  parseSensors,
  parseTpm,
  parseVirt,
} from '../../../../src/firstboot/hardware/parsers/small.js';
import { buildInventory } from '../../../../src/firstboot/hardware/build-inventory.js';
import { SOURCE_FILES } from '../../../../src/firstboot/hardware/sources.js';
import { hardwareFixturesDir, ownFixturesDir } from '../../../helpers/paths.js';
import { assertInventoryShape } from '../../../helpers/inventory-shape.js';
import { prng } from '../../../helpers/prng.js';

const PARSERS: Record<string, (text: string) => unknown> = {
  dmidecode: parseDmidecode,
  dmiId: (t) => parseDmiId({ product_name: t, product_uuid: t, chassis_type: t, board_serial: t }),
  cpuinfo: parseCpuinfo,
  lscpu: parseLscpu,
  meminfo: parseMeminfo,
  lsblk: parseLsblk,
  ipLink: parseIpLink,
  ipAddr: parseIpAddr,
  lspci: parseLspci,
  hwinfo: parseHwinfo,
  sensors: parseSensors,
  osRelease: parseOsRelease,
  virt: parseVirt,
  kernel: parseKernel,
  tpm: (t) => parseTpm(t, () => t),
};

/** Real files of every format: the shared captures and our own. */
function realFiles(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const base of [hardwareFixturesDir, path.join(ownFixturesDir, 'hardware')]) {
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base)) {
      for (const f of [
        'dmidecode.txt',
        'lscpu.txt',
        'lspci.txt',
        'hwinfo.txt',
        'sensors.txt',
        'cpuinfo.txt',
        'meminfo.txt',
        'lsblk.json',
        'ip-link.json',
        'ip-addr.json',
        'os-release',
      ]) {
        const p = path.join(base, d, f);
        if (existsSync(p)) out.push({ name: `${d}/${f}`, text: readFileSync(p, 'utf8') });
      }
    }
  }
  return out;
}

function randomText(rnd: () => number, len: number): string {
  const bytes = Buffer.alloc(len);
  for (let i = 0; i < len; i++) bytes[i] = Math.floor(rnd() * 256);
  return bytes.toString(rnd() < 0.5 ? 'utf8' : 'latin1');
}

function assertAllParsersSurvive(text: string, label: string): void {
  for (const [name, parse] of Object.entries(PARSERS)) {
    assert.doesNotThrow(() => parse(text), `${name} threw on ${label}`);
  }
}

const SEED = 20261122;

test(`random bytes (seed ${SEED}): no parser throws`, () => {
  const rnd = prng(SEED);
  for (let i = 0; i < 300; i++)
    assertAllParsersSurvive(randomText(rnd, Math.floor(rnd() * 4096)), `random input #${i}`);
  for (const special of [
    '',
    '\n',
    '\0',
    '{}',
    '[]',
    'null',
    '[null,1,"x",{"ifname":{}}]',
    '{"blockdevices":[null,{"name":5}]}',
    ':::',
    '\t:\n\t:',
    '1: PCI 00.0: 0000 x\n  Hardware Class: disk\n  Device File: \n',
  ]) {
    assertAllParsersSurvive(special, JSON.stringify(special));
  }
});

test(`truncated and line-shuffled real files (seed ${SEED}): no parser throws, inventories keep their shape`, () => {
  const rnd = prng(SEED + 1);
  const files = realFiles();
  assert.ok(files.length >= 5, 'real files found');
  for (const { name, text } of files) {
    for (let i = 0; i < 8; i++) {
      const cut = text.slice(0, Math.floor(rnd() * text.length));
      assertAllParsersSurvive(cut, `${name} truncated at ${cut.length}`);
      const lines = text.split('\n');
      for (let j = lines.length - 1; j > 0; j--) {
        const k = Math.floor(rnd() * (j + 1));
        [lines[j], lines[k]] = [lines[k] as string, lines[j] as string];
      }
      const shuffled = lines.join('\n');
      assertAllParsersSurvive(shuffled, `${name} shuffled`);
      // Every source garbled at once still builds a valid inventory.
      const files = new Map<string, string>(Object.values(SOURCE_FILES).map((f) => [f, rnd() < 0.5 ? cut : shuffled]));
      files.set('dmi-id/product_uuid', cut.slice(0, 40));
      files.set('tpm/devices', shuffled.slice(0, 30));
      const inv = buildInventory({ files, missing: new Map() });
      assertInventoryShape(inv);
    }
  }
});
