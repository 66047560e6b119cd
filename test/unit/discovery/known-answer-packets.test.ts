import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket, { type Answer } from 'dns-packet';
import { knownAnswerQueries, MAX_QUERY_BYTES } from '../../../src/discovery/known-answer-packets.js';

const question = { type: 'PTR' as const, name: '_nucmesh._tcp.local' };
const ptr = (i: number): Answer => ({
  type: 'PTR',
  name: '_nucmesh._tcp.local',
  ttl: 4500,
  data: `nuc-${String(i).padStart(8, '0')}._nucmesh._tcp.local`,
});

test('a short known-answer list stays one packet without the TC bit', () => {
  const packets = knownAnswerQueries([question], [ptr(1), ptr(2)]);
  assert.equal(packets.length, 1);
  assert.equal(packets[0]?.flags, 0);
  assert.deepEqual(packets[0]?.questions, [question]);
});

test('49 known answers: packets within the MTU, TC on all but the last, questions first, every answer once', () => {
  const answers = Array.from({ length: 49 }, (_, i) => ptr(i));
  const packets = knownAnswerQueries([question], answers);
  assert.ok(packets.length >= 3, `${packets.length} packets`);
  for (const [i, p] of packets.entries()) {
    const bytes = dnsPacket.encode(p);
    assert.ok(bytes.length <= MAX_QUERY_BYTES, `packet ${i}: ${bytes.length} bytes`);
    const decoded = dnsPacket.decode(bytes);
    assert.equal(
      Boolean((decoded.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE),
      i < packets.length - 1,
      `TC of packet ${i}`,
    );
    assert.equal(decoded.questions?.length, i === 0 ? 1 : 0);
  }
  assert.deepEqual(
    packets.flatMap((p) => p.answers),
    answers,
  );
});

test('additional records (a down notice) stay in the first packet with the questions', () => {
  const notice: Answer = { type: 'TXT', name: '_down._nucmesh._tcp.local', ttl: 120, data: [Buffer.from('v=1')] };
  const packets = knownAnswerQueries(
    [question],
    Array.from({ length: 49 }, (_, i) => ptr(i)),
    [notice],
  );
  assert.deepEqual(packets[0]?.additionals, [notice]);
  assert.ok(packets.slice(1).every((p) => (p.additionals ?? []).length === 0));
});
