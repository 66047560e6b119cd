import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RemoteInfo } from 'node:dgram';
import dnsPacket, { type Answer } from 'dns-packet';
import { ServiceBrowser, type BrowserOptions } from '../../../src/discovery/browser.js';

const iface = { name: 'eth0', ipv4: '10.0.0.1', netmask: '255.255.255.0' };
const from = (address: string): RemoteInfo => ({ address, family: 'IPv4', port: 5353, size: 0 });
const FQDN = 'nuc-n1._nucmesh._tcp.local';

function announce(browser: ServiceBrowser): void {
  const answers: Answer[] = [
    { type: 'PTR', name: '_nucmesh._tcp.local', ttl: 4500, data: FQDN },
    { type: 'SRV', name: FQDN, ttl: 120, data: { target: 'nuc-n1.local', port: 8443 } },
    { type: 'TXT', name: FQDN, ttl: 4500, data: [Buffer.from('id=n1')] },
    { type: 'A', name: 'nuc-n1.local', ttl: 120, data: '10.0.0.2' },
  ];
  browser.handlePacket(dnsPacket.decode(dnsPacket.encode({ type: 'response', answers })), from('10.0.0.2'), iface);
}

function query(browser: ServiceBrowser, additionals: Answer[]): void {
  const packet = dnsPacket.encode({ type: 'query', questions: [{ type: 'SRV', name: FQDN }], additionals });
  browser.handlePacket(dnsPacket.decode(packet), from('10.0.0.3'), iface);
}

function browserWith(opts: BrowserOptions): { browser: ServiceBrowser; queries: [string, boolean][] } {
  const browser = new ServiceBrowser(opts);
  const queries: [string, boolean][] = [];
  browser.on('instance-query', (key, handled) => queries.push([key, handled]));
  browser.on('error', (e) => assert.fail(e));
  announce(browser);
  return { browser, queries };
}

const extra: Answer = { type: 'TXT', name: '_down._nucmesh._tcp.local', ttl: 120, data: [Buffer.from('v=1')] };

test("a foreign query's extra records go to the hook first; instance-query says whether it dealt with them", () => {
  const seen: [Answer[], string][] = [];
  let verdict = true;
  const { queries, browser } = browserWith({ onQueryExtras: (records, name) => (seen.push([records, name]), verdict) });
  assert.equal(browser.services.length, 1);
  query(browser, [extra]);
  verdict = false;
  query(browser, [extra]);
  assert.equal(seen.length, 2);
  assert.equal(seen[0]?.[1], 'eth0');
  assert.equal(seen[0]?.[0][0]?.name, extra.name);
  assert.deepEqual(queries, [
    [FQDN, true],
    [FQDN, false],
  ]);
});

test('no extra records: no hook call; no hook: extra records mean nothing to the browser', () => {
  let calls = 0;
  const hooked = browserWith({ onQueryExtras: () => (calls++, true) });
  query(hooked.browser, []);
  assert.equal(calls, 0);
  assert.deepEqual(hooked.queries, [[FQDN, false]]);
  const plain = browserWith({});
  query(plain.browser, [extra]);
  assert.deepEqual(plain.queries, [[FQDN, false]]);
});
