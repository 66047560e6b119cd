import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../../src/errors.js';
import {
  downNoticeFromTxt,
  downNoticeRecord,
  downNoticeToTxt,
  judgeDownNotice,
  noticeFromRecords,
  signDownNotice,
  type NoticeContext,
} from '../../../src/discovery/down-notice.js';

const key = randomBytes(32);
const FLEET = '0123456789abcdef';
const fields = { subject: 'b1', generation: 7, reporter: 'b2', fleetId: FLEET };

function ctx(over: Partial<NoticeContext> = {}, live: Record<string, number> = { b1: 7 }): NoticeContext {
  return { selfNodeId: 'b9', fleetId: FLEET, key, ownGeneration: 3, liveGeneration: (id) => live[id], ...over };
}

test('a notice survives its TXT encoding and verifies; the key is not in it', () => {
  const n = signDownNotice(key, fields);
  const wire = downNoticeToTxt(n);
  assert.deepEqual(downNoticeFromTxt(wire), n);
  assert.ok(wire.every((b) => b.length <= 255));
  assert.equal(Buffer.concat(wire).includes(key.toString('base64')), false);
  assert.equal(judgeDownNotice(downNoticeFromTxt(wire), ctx()), 'mark-down');
});

test('a tampered field or another key fails the MAC; another fleet is told apart', () => {
  const n = signDownNotice(key, fields);
  for (const t of [{ subject: 'b3' }, { generation: 8 }, { reporter: 'b4' }]) {
    assert.equal(judgeDownNotice({ ...n, ...t }, ctx({}, { b1: 7, b3: 7 })), 'bad-mac', JSON.stringify(t));
  }
  assert.equal(judgeDownNotice(signDownNotice(randomBytes(32), fields), ctx()), 'bad-mac');
  assert.equal(judgeDownNotice(signDownNotice(key, { ...fields, fleetId: 'fedcba9876543210' }), ctx()), 'other-fleet');
});

test('only the generation the peer holds, or a later one, takes it down; an older one asks for a check, unknown is not live', () => {
  assert.equal(judgeDownNotice(signDownNotice(key, { ...fields, generation: 6 }), ctx()), 'check');
  assert.equal(judgeDownNotice(signDownNotice(key, { ...fields, generation: 9 }), ctx()), 'mark-down');
  assert.equal(judgeDownNotice(signDownNotice(key, fields), ctx({}, {})), 'not-live');
  assert.equal(judgeDownNotice(signDownNotice(key, { ...fields, reporter: 'b1' }), ctx()), 'self-report');
});

test('a notice about ourselves as we are now is refuted; one about an older incarnation is stale', () => {
  const me = ctx({ selfNodeId: 'b1', ownGeneration: 7 });
  assert.equal(judgeDownNotice(signDownNotice(key, fields), me), 'refute');
  assert.equal(judgeDownNotice(signDownNotice(key, fields), { ...me, ownGeneration: 8 }), 'stale');
});

test('malformed notices name each bad field', () => {
  const err = (strings: string[]): ValidationError => {
    try {
      downNoticeFromTxt(strings);
    } catch (e) {
      assert.ok(e instanceof ValidationError);
      return e;
    }
    assert.fail('accepted');
  };
  const paths = (e: ValidationError): string[] => e.issues.map((i) => i.path).sort();
  assert.deepEqual(paths(err([])), ['/notice/by', '/notice/fl', '/notice/g', '/notice/id', '/notice/mac', '/notice/v']);
  const good = downNoticeToTxt(signDownNotice(key, fields)).map(String);
  const swap = (k: string, v: string): string[] => good.map((s) => (s.startsWith(`${k}=`) ? `${k}=${v}` : s));
  assert.deepEqual(paths(err(swap('g', '-1'))), ['/notice/g']);
  assert.deepEqual(paths(err(swap('id', 'B1!'))), ['/notice/id']);
  assert.deepEqual(paths(err(swap('v', '2'))), ['/notice/v']);
  assert.deepEqual(paths(err(swap('mac', 'short'))), ['/notice/mac']);
  assert.deepEqual(paths(err(swap('fl', 'xyz'))), ['/notice/fl']);
});

test('the MAC of a known notice under a known key (the wire format nodes of any version share)', () => {
  const fixed = Buffer.from('BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=', 'base64');
  assert.equal(signDownNotice(fixed, fields).mac, 'BqgNIuBww3Fb3XoralywN_PaUKedeWIBMIMvD3BaWJk');
});

test('a notice travels as one TXT record of a query, found among others; a broken one names its fields', () => {
  const n = signDownNotice(key, fields);
  const record = downNoticeRecord(n);
  const other = { type: 'TXT' as const, name: 'x._nucmesh._tcp.local', ttl: 120, data: [Buffer.from('id=zz')] };
  assert.deepEqual(noticeFromRecords([other, { ...record, name: record.name.toUpperCase() }]), { notice: n });
  assert.equal(noticeFromRecords([other]), undefined);
  assert.equal(noticeFromRecords([]), undefined);
  const broken = noticeFromRecords([{ ...record, data: [Buffer.from('v=1'), Buffer.from('id=b1')] }]);
  assert.ok(broken && 'problem' in broken);
  assert.match(broken.problem, /\/notice\/g: missing.*\/notice\/mac: missing/);
  assert.doesNotMatch(broken.problem, /\n/);
});
