import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newFleetConfig } from '../../../src/config/fleet.js';
import {
  DOMAIN_TAGS,
  fleetId,
  fleetKeyBytes,
  fleetMac,
  fleetMessage,
  heartbeatProof,
  macMatches,
  newNonce,
  verifyFleetMac,
  verifyHeartbeatProof,
  type MacUse,
} from '../../../src/node/fleet-crypto.js';
import { SIGNATURE } from '../../../src/node/wire.js';

/** A fixed key, so the values below pin the wire format (nodes of different versions must agree). */
const KEY64 = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=';
const key = fleetKeyBytes({ key: KEY64 });
const MAC_USES: MacUse[] = ['advert', 'downNotice', 'heartbeat'];

test('fleet ID: a known value for a known key, stable, different per key, never containing the key', () => {
  assert.equal(key.length, 32);
  assert.equal(fleetId(KEY64), '249ba44ba932ce01');
  const cfg = newFleetConfig('a');
  assert.equal(fleetId(cfg.key), fleetId(cfg.key));
  assert.match(fleetId(cfg.key), /^[0-9a-f]{16}$/);
  assert.notEqual(fleetId(cfg.key), fleetId(newFleetConfig('a').key));
  assert.ok(!cfg.key.includes(fleetId(cfg.key)));
});

test('every use of the key has its own domain tag', () => {
  const tags = Object.values(DOMAIN_TAGS);
  assert.equal(new Set(tags).size, tags.length);
  for (const use of MAC_USES) assert.equal(JSON.parse(fleetMessage(use, ['x']).toString())[0], DOMAIN_TAGS[use]);
});

test('a MAC made for one use never verifies for another, nor with another key or other parts', () => {
  const parts = ['abcdefghijklmnop0123', 'n1', 3];
  for (const use of MAC_USES) {
    const mac = fleetMac(key, use, parts);
    assert.match(mac, SIGNATURE);
    assert.equal(verifyFleetMac(key, use, parts, mac), true);
    for (const other of MAC_USES.filter((u) => u !== use)) {
      assert.equal(verifyFleetMac(key, other, parts, mac), false, `${use} as ${other}`);
    }
    assert.equal(verifyFleetMac(randomBytes(32), use, parts, mac), false);
    assert.equal(verifyFleetMac(key, use, ['abcdefghijklmnop0123', 'n1', 4], mac), false);
  }
});

test('heartbeat proof: the known value for a known key, nonce, node ID and generation', () => {
  const proof = heartbeatProof(key, 'abcdefghijklmnop0123', 'n1', 3);
  assert.equal(proof, 'Fwmuz6XuT_n4h59mYnTDVSlawXDUvOMWmcM0Q7Rhedw');
  assert.equal(verifyHeartbeatProof(key, 'abcdefghijklmnop0123', 'n1', 3, proof), true);
  assert.equal(verifyHeartbeatProof(key, 'abcdefghijklmnop0124', 'n1', 3, proof), false);
  assert.equal(verifyHeartbeatProof(key, 'abcdefghijklmnop0123', 'n2', 3, proof), false);
  assert.equal(verifyHeartbeatProof(key, 'abcdefghijklmnop0123', 'n1', 3, proof.slice(0, -1)), false);
});

test('macMatches: equal MACs match; another length, another byte or junk do not', () => {
  const mac = fleetMac(key, 'heartbeat', ['n']);
  const bytes = Buffer.from(mac, 'base64url');
  assert.equal(macMatches(bytes, mac), true);
  assert.equal(macMatches(mac, mac), true);
  const flipped = Buffer.from(bytes);
  flipped[5] = (flipped[5] ?? 0) ^ 1;
  assert.equal(macMatches(bytes, flipped.toString('base64url')), false);
  assert.equal(macMatches(bytes, mac.slice(0, 20)), false);
  assert.equal(macMatches(bytes, ''), false);
  assert.equal(macMatches(bytes, '!!!not base64!!!'), false);
});

test('nonces are fresh and the shape the heartbeat route accepts', () => {
  const a = newNonce();
  assert.match(a, /^[A-Za-z0-9_-]{16,64}$/);
  assert.notEqual(a, newNonce());
});
