/**
 * Interop with an independent implementation, avahi: avahi-browse sees our service with its
 * address and TXT record, and our browser sees a service published with avahi-publish as an
 * unsigned advert of no fleet, without crashing or admitting it as a peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './harness.js';
import { labFixture } from './lab-fixture.js';
import { tableOf } from './nodes.js';
import { avahiUnavailable, startAvahi } from './avahi.js';

const fx = labFixture({ fleet: 'avahi', subnet: '10.66.0', needs: [avahiUnavailable] });
const { skip } = fx;

test('avahi sees our service and TXT; we see avahi-publish as unsigned, other fleet', { skip }, async () => {
  fx.addHost('n1');
  fx.addHost('av', { octet: 9 });
  const node = fx.startNode('n1');
  const avahi = await startAvahi(fx.lab, 'av');

  // avahi-browse (resolving) in the daemon's namespace sees our instance, address, port and TXT.
  // One resolved line per protocol; the IPv6 one may carry our IPv6 link-local address.
  const lines = await waitFor(
    'avahi-browse to resolve nuc-n1 over IPv4',
    async () => {
      const r = await fx.lab.run(
        'av',
        'env',
        [
          `DBUS_SYSTEM_BUS_ADDRESS=${avahi.env['DBUS_SYSTEM_BUS_ADDRESS'] as string}`,
          'avahi-browse',
          '-rpt',
          '_nucmesh._tcp',
        ],
        15_000,
      );
      const resolved = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('=;') && l.includes(';nuc-n1;') && l.includes('"st=forming"'));
      return resolved.some((l) => l.split(';')[7] === '10.66.0.1') ? resolved : undefined;
    },
    20_000,
    500,
  );
  for (const l of lines)
    assert.match(l.split(';')[7] ?? '', /^(10\.66\.0\.1|fe80:.*)$/, `only n1's own addresses: ${l}`);
  const f = (lines.find((l) => l.split(';')[7] === '10.66.0.1') as string).split(';');
  assert.equal(f[3], 'nuc-n1');
  assert.equal(f[4], '_nucmesh._tcp');
  assert.equal(f[8], '8443');
  const txt = f.slice(9).join(';');
  for (const kv of ['"id=n1"', `"fl=${fx.fleet.fleetId}"`, '"v=1"']) assert.ok(txt.includes(kv), `${kv} in ${txt}`);
  assert.match(txt, /"sig=[A-Za-z0-9_-]{43}"/);
  assert.equal(txt.includes(fx.fleet.config.key), false, 'no key in TXT');

  // avahi-publish: a foreign service of our type.
  const pub = fx.lab.spawn(
    'av',
    'avahi-publish',
    ['-s', 'avahi-svc', '_nucmesh._tcp', '9999', 'id=fake', 'hello=world'],
    avahi.env,
  );
  const t = await waitFor(
    'n1 to count the unsigned avahi service',
    async () => {
      const s = await tableOf(node);
      return s.counters.invalid >= 1 ? s : undefined;
    },
    15_000,
    200,
  );
  assert.equal(t.peers.length, 0, 'not admitted as a peer');
  const r = await fx.cli('n1', ['peers', '--fleet', fx.fleet.file, '--timeout', '3', '--json']);
  const listed = (
    JSON.parse(r.stdout) as {
      instance: string;
      verified: boolean;
      fleetMatches: boolean;
      addresses: string[];
      problem?: string;
    }[]
  ).find((p) => p.instance === 'avahi-svc');
  assert.ok(listed, r.stdout);
  assert.equal(listed.verified, false);
  assert.equal(listed.fleetMatches, false);
  assert.ok(listed.addresses.includes('10.66.0.9'));
  assert.match(listed.problem ?? '', /\/txt\//);
  assert.equal(node.child.exitCode, null, 'our node is still running');
  pub.child.kill('SIGTERM');
});
