import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../helpers/cli.js';
import { listingOf } from '../../../src/discovery/browse-once.js';
import { advertToTxt, type AdvertFields } from '../../../src/discovery/advert.js';
import { signAdvert } from '../../../src/discovery/signature.js';
import { randomBytes } from 'node:crypto';

test('nucmesh peers --help explains the command and its JSON fields', async () => {
  const r = await runCli(['peers', '--help']);
  assert.equal(r.code, 0);
  for (const word of ['--fleet', '--timeout', '--json', 'fleetMatches', 'verified', 'unverified'])
    assert.ok(r.stdout.includes(word), word);
  assert.match((await runCli(['--help'])).stdout, /^ {2}peers /m);
});

test('nucmesh peers usage errors name the option and exit 2', async () => {
  const r = await runCli(['peers', '--timeout', 'soon']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--timeout must be a whole number/);
  const r2 = await runCli(['peers', '--bogus']);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /bogus/);
});

test('a listing says whether the advert is ours and verified, with or without the key', () => {
  const key = randomBytes(32);
  const f: AdvertFields = {
    version: 1,
    nodeId: 'n1',
    fleetId: '0123456789abcdef',
    state: 'forming',
    clusterId: '',
    generation: 2,
  };
  const txt = Object.entries(advertToTxt({ ...f, signature: signAdvert(key, 'nuc-n1', f) })).map(([k, v]) =>
    Buffer.from(`${k}=${v}`),
  );
  const svc = {
    key: 'nuc-n1._nucmesh._tcp.local',
    instance: 'nuc-n1',
    host: 'nuc-n1.local',
    port: 8443,
    txt,
    addresses: [
      { address: '10.0.0.1', iface: 'eth0' },
      { address: '10.0.0.1', iface: 'eth1' },
    ],
  };
  const withKey = listingOf(svc, { fleetId: f.fleetId, key });
  assert.deepEqual(
    { ...withKey },
    {
      nodeId: 'n1',
      instance: 'nuc-n1',
      state: 'forming',
      cluster: '',
      addresses: ['10.0.0.1'],
      port: 8443,
      generation: 2,
      fleetId: f.fleetId,
      fleetMatches: true,
      verified: true,
    },
  );
  const without = listingOf(svc, {});
  assert.equal(without.verified, false);
  assert.equal(without.fleetMatches, false);
  assert.match(without.problem ?? '', /no fleet key/);
  const wrong = listingOf(svc, { fleetId: f.fleetId, key: randomBytes(32) });
  assert.equal(wrong.verified, false);
  assert.match(wrong.problem ?? '', /signature/);
  const junk = listingOf({ ...svc, txt: [Buffer.from('hello=world')] }, { fleetId: f.fleetId, key });
  assert.equal(junk.nodeId, null);
  assert.match(junk.problem ?? '', /\/txt\/id/);
});
