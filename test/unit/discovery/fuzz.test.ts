/**
 * Fuzzing the packet path (decode → cache → resolution → advert validation → peer table)
 * with 100,000+ random and mutated real packets: nothing throws, and the cache, the peer
 * table and the rate limiter stay within their bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RemoteInfo } from 'node:dgram';
import dnsPacket, { type Answer } from 'dns-packet';
import { ServiceBrowser } from '../../../src/discovery/browser.js';
import { decodePacket } from '../../../src/discovery/mdns-channel.js';
import { PeerTable } from '../../../src/discovery/peer-table.js';
import { MAX_RECORDS } from '../../../src/discovery/dns-cache.js';
import { advertToTxt, type AdvertFields } from '../../../src/discovery/advert.js';
import { signAdvert } from '../../../src/discovery/signature.js';
import { ownFixturesDir } from '../../helpers/paths.js';
import { prng } from '../../helpers/prng.js';

const ITERATIONS = 110_000;
const key = randomBytes(32);
const FLEET = '0123456789abcdef';

function signedAnnouncement(i: number): Buffer {
  const name = `nuc-${i}`;
  const fqdn = `${name}._nucmesh._tcp.local`;
  const f: AdvertFields = {
    version: 1,
    nodeId: `n${i}`,
    fleetId: FLEET,
    state: 'forming',
    clusterId: '',
    generation: i + 1,
  };
  const txt = advertToTxt({ ...f, signature: signAdvert(key, name, f) });
  const answers: Answer[] = [
    { type: 'PTR', name: '_nucmesh._tcp.local', ttl: 4500, data: fqdn },
    { type: 'SRV', name: fqdn, ttl: 120, flush: true, data: { target: `${name}.local`, port: 8443 } },
    {
      type: 'TXT',
      name: fqdn,
      ttl: 4500,
      flush: true,
      data: Object.entries(txt).map(([k, v]) => Buffer.from(`${k}=${v}`)),
    },
    { type: 'A', name: `${name}.local`, ttl: 120, flush: true, data: `10.0.${i >> 8}.${i & 255}` },
  ];
  return dnsPacket.encode({ type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER, answers });
}

function seeds(): Buffer[] {
  const captured = JSON.parse(readFileSync(path.join(ownFixturesDir, 'mdns/captured-packets.json'), 'utf8')) as {
    packets: string[];
  };
  return [
    ...captured.packets.map((b) => Buffer.from(b, 'base64')),
    ...Array.from({ length: 8 }, (_, i) => signedAnnouncement(i)),
  ];
}

function mutate(rand: () => number, seed: Buffer): Buffer {
  const b = Buffer.from(seed);
  const pick = (n: number): number => Math.floor(rand() * n);
  const noise = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => pick(256)));
  switch (pick(7)) {
    case 0: // bit flips
      for (let k = 0, n = 1 + pick(8); k < n; k++) {
        const at = pick(b.length);
        b.writeUInt8((b.readUInt8(at) ^ (1 << pick(8))) & 255, at);
      }
      return b;
    case 1: // truncation
      return b.subarray(0, pick(b.length));
    case 2: // compression pointers anywhere: loops, self references, forward jumps
      for (let k = 0, n = 1 + pick(4); k < n; k++) {
        const at = 12 + pick(Math.max(1, b.length - 13));
        b[at] = 0xc0 | pick(64);
        b[at + 1] = pick(256);
      }
      return b;
    case 3: // absurd section counts
      b.writeUInt16BE(pick(65536), 4 + 2 * pick(4));
      return b;
    case 4: // random bytes spliced in
      return Buffer.concat([b.subarray(0, pick(b.length)), noise(pick(64)), b.subarray(pick(b.length))]);
    case 5: // oversized
      return Buffer.concat([b, Buffer.alloc(9000, pick(256))]);
    default: // pure noise
      return noise(pick(600));
  }
}

test(`the packet path survives ${ITERATIONS} random and mutated real packets within its bounds`, () => {
  const rand = prng(Number(process.env['FUZZ_SEED'] ?? 4242));
  const base = seeds();
  const browser = new ServiceBrowser();
  const table = new PeerTable({ selfNodeId: 'me', fleetId: FLEET, key, maxPeers: 256 });
  browser.on('service', (s) => table.observe(s));
  browser.on('removed', (k, r) => table.removeService(k, r));
  const errors: Error[] = [];
  browser.on('error', (e) => errors.push(e));
  const iface = { name: 'eth0', ipv4: '10.0.0.1', netmask: '255.255.255.0' };
  let decoded = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = base[Math.floor(rand() * base.length)] as Buffer;
    const pkt = rand() < 0.05 ? seed : mutate(rand, seed);
    const p = decodePacket(pkt);
    if (!p) continue;
    decoded++;
    const rinfo: RemoteInfo = { address: `10.0.0.${2 + (i % 200)}`, family: 'IPv4', port: 5353, size: pkt.length };
    browser.handlePacket(p, rinfo, iface);
  }
  console.log(
    `# ${ITERATIONS} packets, ${decoded} decoded, ${browser.cache.size} cached records, ${table.size} peers, rejected ${JSON.stringify(table.counters)}`,
  );
  assert.deepEqual(errors, [], 'the packet path reported no internal error');
  assert.ok(browser.cache.size <= MAX_RECORDS);
  assert.ok(table.size <= 256);
  assert.ok(decoded > 1000, 'enough packets got past the decoder to exercise the cache');
  assert.ok(table.size >= 1, 'unmutated signed announcements still made peers');
  assert.ok(table.counters.badSignature + table.counters.invalid > 0, 'mutated adverts were rejected');
});

test('a tiny packet claiming huge section counts is refused before decoding (no allocation blow-up)', () => {
  const evil = Buffer.alloc(12);
  for (const off of [4, 6, 8, 10]) evil.writeUInt16BE(0xffff, off);
  assert.equal(decodePacket(evil), undefined);
  const real = signedAnnouncement(1);
  assert.ok(decodePacket(real), 'a real announcement still decodes');
});
