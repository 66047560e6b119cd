/**
 * Interop with an independent implementation, avahi: avahi-browse sees our service with its
 * address and TXT record, and our browser sees a service published with avahi-publish as an
 * unsigned advert of no fleet, without crashing or admitting it as a peer.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fleetId } from '../../src/node/fleet-crypto.js';
import { NetnsLab, netnsAvailable, waitFor, type Spawned } from './harness.js';
import { makeFleet, startNode, tableOf } from './nodes.js';
import { avahiUnavailable, startAvahi } from './avahi.js';
import { cliPath } from '../helpers/paths.js';

const skip = netnsAvailable() || avahiUnavailable();
const lab = skip ? undefined : new NetnsLab();
after(async () => {
  await lab?.cleanup();
});

test('avahi sees our service and TXT; we see avahi-publish as unsigned, other fleet', { skip }, async () => {
  const fleet = makeFleet('avahi');
  lab!.addLan('a');
  lab!.addHost('n1', [{ lan: 'a', address: '10.66.0.1/24' }]);
  lab!.addHost('av', [{ lan: 'a', address: '10.66.0.9/24' }]);
  const node: Spawned = startNode(lab!, 'n1', fleet.file, path.join(fleet.dir, 'n1'), 'n1');
  const avahi = await startAvahi(lab!, 'av');

  // avahi-browse (resolving) in the daemon's namespace sees our instance, address, port and TXT.
  // One resolved line per protocol; the IPv6 one may carry our IPv6 link-local address.
  const lines = await waitFor(
    'avahi-browse to resolve nuc-n1 over IPv4',
    async () => {
      const r = await lab!.run('av', 'env', [`DBUS_SYSTEM_BUS_ADDRESS=${avahi.env['DBUS_SYSTEM_BUS_ADDRESS'] as string}`, 'avahi-browse', '-rpt', '_nucmesh._tcp'], 15_000);
      const resolved = r.stdout.split('\n').filter((l) => l.startsWith('=;') && l.includes(';nuc-n1;') && l.includes('"st=forming"'));
      return resolved.some((l) => l.split(';')[7] === '10.66.0.1') ? resolved : undefined;
    },
    20_000,
    500,
  );
  for (const l of lines) assert.match(l.split(';')[7] ?? '', /^(10\.66\.0\.1|fe80:.*)$/, `only n1's own addresses: ${l}`);
  const f = (lines.find((l) => l.split(';')[7] === '10.66.0.1') as string).split(';');
  assert.equal(f[3], 'nuc-n1');
  assert.equal(f[4], '_nucmesh._tcp');
  assert.equal(f[8], '8443');
  const txt = f.slice(9).join(';');
  for (const kv of ['"id=n1"', `"fl=${fleetId(fleet.config.key)}"`, '"v=1"']) assert.ok(txt.includes(kv), `${kv} in ${txt}`);
  assert.match(txt, /"sig=[A-Za-z0-9_-]{43}"/);
  assert.equal(txt.includes(fleet.config.key), false, 'no key in TXT');

  // avahi-publish: a foreign service of our type.
  const pub = lab!.spawn('av', 'avahi-publish', ['-s', 'avahi-svc', '_nucmesh._tcp', '9999', 'id=fake', 'hello=world'], avahi.env);
  const t = await waitFor('n1 to count the unsigned avahi service', async () => {
    const s = await tableOf(node);
    return s.counters.invalid >= 1 ? s : undefined;
  }, 15_000, 200);
  assert.equal(t.peers.length, 0, 'not admitted as a peer');
  const r = await lab!.run('n1', process.execPath, [cliPath, 'peers', '--fleet', fleet.file, '--timeout', '3', '--json']);
  const listed = (JSON.parse(r.stdout) as { instance: string; verified: boolean; fleetMatches: boolean; addresses: string[]; problem?: string }[]).find((p) => p.instance === 'avahi-svc');
  assert.ok(listed, r.stdout);
  assert.equal(listed.verified, false);
  assert.equal(listed.fleetMatches, false);
  assert.ok(listed.addresses.includes('10.66.0.9'));
  assert.match(listed.problem ?? '', /\/txt\//);
  assert.equal(node.child.exitCode, null, 'our node is still running');
  pub.child.kill('SIGTERM');
});
