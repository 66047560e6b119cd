import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer } from 'dns-packet';
import { DnsCache } from '../../../src/discovery/dns-cache.js';

const PTR = '_nucmesh._tcp.local';
function announce(name: string, txt: string, ttl = 120, flush = true): Answer[] {
  const fqdn = `${name}.${PTR}`;
  return [
    { type: 'PTR', name: PTR, ttl: 4500, data: fqdn },
    { type: 'SRV', name: fqdn, ttl, flush, data: { target: `${name}.local`, port: 8443, priority: 0, weight: 0 } },
    { type: 'TXT', name: fqdn, ttl: 4500, flush, data: [Buffer.from(txt)] },
    { type: 'A', name: `${name}.local`, ttl, flush, data: '10.0.0.5' },
  ];
}

test('records of our service and their host addresses are cached; others are ignored', () => {
  const c = new DnsCache(
    () => 0,
    () => 0,
  );
  const ch = c.addAnswers(
    [
      ...announce('nuc-1', 'a=1'),
      { type: 'A', name: 'printer.local', ttl: 120, data: '10.0.0.9' },
      { type: 'PTR', name: '_http._tcp.local', ttl: 120, data: 'x._http._tcp.local' },
    ],
    'eth0',
  );
  assert.equal(c.size, 4);
  assert.deepEqual([...ch.instances], [`nuc-1.${PTR}`]);
  assert.deepEqual([...c.instances()], [`nuc-1.${PTR}`]);
});

test('a goodbye (TTL 0) removes the record at once and reports the instance', () => {
  const c = new DnsCache(
    () => 0,
    () => 0,
  );
  c.addAnswers(announce('nuc-1', 'a=1'), 'eth0');
  const bye = c.addAnswers(announce('nuc-1', 'a=1').map((a) => ({ ...a, ttl: 0 })) as Answer[], 'eth0');
  assert.deepEqual([...bye.goodbyes], [`nuc-1.${PTR}`]);
  assert.equal(c.size, 0);
});

test('records expire after their TTL, and the cache-flush bit drops data older than 1 s', () => {
  let now = 0;
  const c = new DnsCache(
    () => now,
    () => 0,
  );
  c.addAnswers(announce('nuc-1', 'st=booting'), 'eth0');
  now = 2000;
  c.addAnswers(
    [{ type: 'TXT', name: `nuc-1.${PTR}`, ttl: 4500, flush: true, data: [Buffer.from('st=forming')] }],
    'eth0',
  );
  const txts = c.find(`nuc-1.${PTR}`, 'TXT');
  assert.deepEqual(
    txts.map((r) => (r.data as Buffer[])[0]?.toString()),
    ['st=forming'],
  );
  now = 121_000;
  const gone = c.expire();
  assert.ok(gone.has(`nuc-1.${PTR}`));
  assert.equal(c.find(`nuc-1.${PTR}`, 'SRV').length, 0, 'SRV (TTL 120) expired');
  assert.equal(c.find(`nuc-1.${PTR}`, 'TXT').length, 1, 'TXT (TTL 4500) still there');
});

test('refresh queries are due at 80, 85, 90 and 95 % of the TTL, once each', () => {
  let now = 0;
  const c = new DnsCache(
    () => now,
    () => 0,
  );
  c.addAnswers([announce('nuc-1', 'a=1')[1] as Answer], 'eth0'); // only the SRV: no PTR, so no... still cached
  assert.equal(c.size, 1);
  const steps: number[] = [];
  for (now = 0; now <= 120_000; now += 500) if (c.dueForRefresh().length > 0) steps.push(now);
  assert.deepEqual(steps, [96_000, 102_000, 108_000, 114_000]);
});

test('another host asking the same question suppresses our refresh at that point (duplicate question suppression)', () => {
  let now = 0;
  const c = new DnsCache(
    () => now,
    () => 0,
  );
  c.addAnswers(announce('nuc-1', 'a=1'), 'eth0');
  now = 95_000;
  c.noteForeignQuestion(`nuc-1.${PTR}`, 'SRV', 'eth0', new Set());
  now = 96_500;
  assert.deepEqual(
    c
      .dueForRefresh()
      .map((r) => r.type)
      .sort(),
    ['A'],
    'SRV refresh was done by the other host',
  );
});

test('known answers are the records with more than half their TTL left', () => {
  let now = 0;
  const c = new DnsCache(
    () => now,
    () => 0,
  );
  c.addAnswers(announce('nuc-1', 'a=1'), 'eth0');
  assert.equal(c.knownAnswers(PTR, 'PTR', 'eth0').length, 1);
  assert.equal(c.knownAnswers(PTR, 'PTR', 'eth1').length, 0);
  now = 2_300_000;
  assert.equal(c.knownAnswers(PTR, 'PTR', 'eth0').length, 0);
});

test('the cache never holds more than its cap, whatever arrives', () => {
  const c = new DnsCache(() => 0, Math.random, 100);
  for (let i = 0; i < 1000; i++) c.addAnswers(announce(`n${i}`, `x=${i}`), 'eth0');
  assert.equal(c.size, 100);
  assert.ok(c.refused > 0);
});
