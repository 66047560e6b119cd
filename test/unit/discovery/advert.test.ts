import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  advertFromTxt,
  advertToTxt,
  assertAdvertEncodable,
  parseTxtStrings,
  type AdvertFields,
} from '../../../src/discovery/advert.js';
import { canonicalAdvert, signAdvert, verifyAdvert } from '../../../src/discovery/signature.js';
import { ValidationError } from '../../../src/errors.js';

const fields: AdvertFields = {
  version: 1,
  nodeId: 'a1b2c3',
  fleetId: '0123456789abcdef',
  state: 'forming',
  clusterId: '',
  generation: 7,
};

test('an advert survives TXT encoding, including values with dots and an empty cluster', () => {
  const key = randomBytes(32);
  const signed = {
    ...fields,
    clusterId: 'c-1',
    k3sPort: 6443,
    state: 'server' as const,
    signature: signAdvert(key, 'nuc-a.b', { ...fields, clusterId: 'c-1', k3sPort: 6443, state: 'server' }),
  };
  const strings = Object.entries(advertToTxt(signed)).map(([k, v]) => Buffer.from(`${k}=${v}`));
  const back = advertFromTxt(parseTxtStrings(strings).txt);
  assert.deepEqual(back, signed);
  assert.equal(verifyAdvert(key, 'nuc-a.b', back, back.signature), true);
  assert.equal(
    advertFromTxt(
      parseTxtStrings(
        Object.entries(advertToTxt({ ...fields, signature: 'x'.repeat(43) })).map(([k, v]) => `${k}=${v}`),
      ).txt,
    ).clusterId,
    '',
  );
});

test('each bad TXT field is reported by name', () => {
  const good = advertToTxt({ ...fields, signature: 'A'.repeat(43) });
  const cases: [Record<string, string>, string][] = [
    [{ ...good, v: '2' }, '/txt/v'],
    [{ ...good, id: 'Bad ID!' }, '/txt/id'],
    [{ ...good, fl: 'xyz' }, '/txt/fl'],
    [{ ...good, st: 'king' }, '/txt/st'],
    [{ ...good, cl: 'UPPER' }, '/txt/cl'],
    [{ ...good, g: '-1' }, '/txt/g'],
    [{ ...good, g: '01' }, '/txt/g'],
    [{ ...good, sig: 'short' }, '/txt/sig'],
    [{ ...good, kp: '70000' }, '/txt/kp'],
    [{ ...good, sup: 'Not-A-Node' }, '/txt/sup'],
    [{ ...good, sup: 'a1', si: 'yes' }, '/txt/si'],
    [{ ...good, si: '1' }, '/txt/si'],
  ];
  for (const [txt, path] of cases) {
    assert.throws(
      () => advertFromTxt(txt),
      (e: unknown) => e instanceof ValidationError && e.issues.some((i) => i.path === path),
      path,
    );
  }
  const { id: _id, ...noId } = good;
  assert.throws(
    () => advertFromTxt(noId),
    (e: unknown) =>
      e instanceof ValidationError && e.issues.some((i) => i.path === '/txt/id' && /missing/.test(i.message)),
  );
});

test('TXT parsing: keys are case-insensitive, first one wins, oversized strings are issues not crashes', () => {
  const { txt, issues } = parseTxtStrings([
    Buffer.from('ID=first'),
    Buffer.from('id=second'),
    Buffer.from('flag'),
    Buffer.alloc(300, 0x61),
  ]);
  assert.equal(txt['id'], 'first');
  assert.equal(Object.keys(txt).length, 1);
  assert.equal(issues.length, 1);
  assert.match(issues[0]?.message ?? '', /300 bytes/);
});

test('our own advert is checked against the TXT size limits', () => {
  assert.doesNotThrow(() => assertAdvertEncodable(advertToTxt({ ...fields, signature: 'A'.repeat(43) })));
  assert.throws(() => assertAdvertEncodable({ id: 'x'.repeat(300) }), /\/txt\/id/);
});

test('the signature covers every field and the instance name, and needs the key', () => {
  const key = randomBytes(32);
  const sig = signAdvert(key, 'nuc-1', fields);
  assert.equal(verifyAdvert(key, 'nuc-1', fields, sig), true);
  assert.equal(verifyAdvert(randomBytes(32), 'nuc-1', fields, sig), false, 'wrong key');
  assert.equal(verifyAdvert(key, 'nuc-2', fields, sig), false, 'other instance name');
  for (const changed of [
    { state: 'server' as const },
    { clusterId: 'x' },
    { generation: 8 },
    { nodeId: 'zz' },
    { fleetId: 'fedcba9876543210' },
    { k3sPort: 6443 },
    { supports: 'a1b2c3' },
  ]) {
    assert.equal(verifyAdvert(key, 'nuc-1', { ...fields, ...changed }, sig), false, JSON.stringify(changed));
  }
  assert.equal(verifyAdvert(key, 'nuc-1', fields, 'A'.repeat(43)), false);
  // The canonical form does not depend on whether a signature is attached, and never holds the key.
  assert.deepEqual(
    canonicalAdvert('nuc-1', { ...fields, signature: sig } as AdvertFields),
    canonicalAdvert('nuc-1', fields),
  );
  assert.equal(canonicalAdvert('nuc-1', fields).includes(key), false);
});

test('the signature of a known advert under a known key (the wire format nodes of any version share)', () => {
  const key = Buffer.from('BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=', 'base64');
  assert.equal(signAdvert(key, 'nuc-1', fields), 'DEySJtQWIBrP5TyXa7dniCD-YljYY90y3IQ7ZzQWThU');
});

test('the supported seed (sup) round-trips, is signed, and leaves adverts without it as they were', () => {
  const key = Buffer.from('BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=', 'base64');
  const withSup: AdvertFields = { ...fields, supports: 'z9' };
  const txt = advertToTxt({ ...withSup, signature: signAdvert(key, 'nuc-1', withSup) });
  assert.equal(txt['sup'], 'z9');
  const back = advertFromTxt(txt);
  assert.equal(back.supports, 'z9');
  assert.equal(verifyAdvert(key, 'nuc-1', back, back.signature), true);
  assert.equal(verifyAdvert(key, 'nuc-1', { ...back, supports: 'z8' }, back.signature), false);
  assert.ok(canonicalAdvert('nuc-1', withSup).includes('["sup","z9"]'), 'sup is in the signed bytes');
  assert.equal(signAdvert(key, 'nuc-1', withSup), 'TH7Ieb_zVCl6vvDAbOwXhM2QGL4yq9Zc4pNRFFDXqww');
  assert.equal('supports' in advertFromTxt(advertToTxt({ ...fields, signature: 'A'.repeat(43) })), false);
  // Indirect support (si=1) is signed too.
  const indirect: AdvertFields = { ...withSup, supportsIndirect: true };
  const sig = signAdvert(key, 'nuc-1', indirect);
  assert.equal(advertFromTxt(advertToTxt({ ...indirect, signature: sig })).supportsIndirect, true);
  assert.equal(verifyAdvert(key, 'nuc-1', withSup, sig), false);
});

test('the API certificate pin (fp) travels in the advert, is signed, and must be a pin', () => {
  const key = randomBytes(32);
  const certPin = randomBytes(32).toString('base64url');
  const withPin = { ...fields, certPin };
  const txt = advertToTxt({ ...withPin, signature: signAdvert(key, 'nuc-a', withPin) });
  assert.equal(txt['fp'], certPin);
  const back = advertFromTxt(txt);
  assert.equal(back.certPin, certPin);
  assert.equal(verifyAdvert(key, 'nuc-a', back, back.signature), true);
  const swapped = { ...back, certPin: randomBytes(32).toString('base64url') };
  assert.equal(verifyAdvert(key, 'nuc-a', swapped, back.signature), false, 'another pin breaks the signature');
  assert.throws(() => advertFromTxt({ ...txt, fp: 'not-a-pin' }), /\/txt\/fp/);
  assertAdvertEncodable(txt);
});
