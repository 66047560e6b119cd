import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Answer } from 'dns-packet';
import { createLogger } from '../../../src/log.js';
import {
  DOWN_NOTICE_NAME,
  downNoticeRecord,
  noticeFromRecords,
  signDownNotice,
} from '../../../src/discovery/down-notice.js';
import { ANNOUNCE_REPEATS_MS, createNoticePolicy } from '../../../src/discovery/notice-policy.js';
import type { Peer } from '../../../src/discovery/peer-table.js';
import type { DownNotice } from '../../../src/node/notice.js';
import { FLEET, manualSchedule, tableWith } from '../../helpers/adverts.js';

const log = createLogger({ level: 'silent', format: 'json' });

function setup(generation = 5) {
  const { table, key } = tableWith(['n1', 'n2', 'n3']);
  const downs: string[] = [];
  table.on('peer-down', (p, reason) => downs.push(`${p.nodeId} ${reason}`));
  const suspected: string[] = [];
  const queries: { key: string; extras: Answer[] }[] = [];
  const sent: { peers: string[]; notice: DownNotice }[] = [];
  let refutes = 0;
  const timers = manualSchedule();
  const policy = createNoticePolicy({
    selfNodeId: 'me',
    fleetId: FLEET,
    fleetKey: key,
    table,
    generation: () => generation,
    suspect: (id) => suspected.push(id),
    refute: () => void refutes++,
    queryInstance: (k, extras) => void queries.push({ key: k, extras }),
    fanout: {
      send: async (peers, notice) => {
        sent.push({ peers: peers.map((p) => p.nodeId), notice });
        return { delivered: peers.length, failed: 0, attempts: peers.length };
      },
    },
    log,
    schedule: timers.schedule,
  });
  return { table, key, downs, suspected, queries, sent, timers, policy, refutes: () => refutes };
}

const notice = (key: Buffer, subject: string, generation: number, reporter = 'n3') =>
  signDownNotice(key, { subject, generation, reporter, fleetId: FLEET });

test('announcing a death: a signed notice in three SRV queries and over HTTP to every other peer', async () => {
  const s = setup();
  const n1 = s.table.get('n1') as Peer;
  s.policy.announce(n1, 'down');
  assert.equal(s.queries.length, 1);
  assert.deepEqual(
    s.timers.due.map((d) => d.ms),
    [...ANNOUNCE_REPEATS_MS],
  );
  for (const d of s.timers.due) d.fn();
  assert.equal(s.queries.length, 3);
  for (const q of s.queries) {
    assert.equal(q.key, n1.serviceKey);
    const found = noticeFromRecords(q.extras);
    assert.ok(found && 'notice' in found);
    assert.deepEqual(found.notice, notice(s.key, 'n1', n1.generation, 'me'));
  }
  assert.deepEqual(
    s.sent.map((x) => x.peers),
    [['n2', 'n3']],
  );
  assert.equal(s.sent[0]?.notice.subject, 'n1');
});

test('announcing a peer back: the queries carry no notice and nothing goes over HTTP', () => {
  const s = setup();
  s.policy.announce(s.table.get('n2') as Peer, 'up');
  for (const d of s.timers.due) d.fn();
  assert.equal(s.queries.length, 3);
  assert.ok(s.queries.every((q) => q.extras.length === 0));
  assert.deepEqual(s.sent, []);
});

test('a verified notice drops the peer as reported; an older generation asks for a check instead', () => {
  const s = setup();
  assert.equal(s.policy.apply(notice(s.key, 'n1', 1), 'http'), 'mark-down');
  assert.deepEqual(s.downs, ['n1 reported']);
  assert.equal(s.policy.apply(notice(s.key, 'n2', 0), 'mdns'), 'check');
  assert.deepEqual(s.suspected, ['n2']);
  assert.ok(s.table.get('n2'));
});

test('a notice about us as we are now is refuted once per generation named; one about an older us is stale', () => {
  const s = setup(5);
  assert.equal(s.policy.apply(notice(s.key, 'me', 5), 'mdns'), 'refute');
  assert.equal(s.refutes(), 1);
  // Repeats of that notice are stale at once, before the re-announcement bumps our generation.
  assert.equal(s.policy.apply(notice(s.key, 'me', 5), 'http'), 'stale');
  assert.equal(s.policy.apply(notice(s.key, 'me', 4), 'mdns'), 'stale');
  assert.equal(s.refutes(), 1);
});

test('notices that do not verify, or name another fleet, are counted and change nothing', () => {
  const s = setup();
  assert.equal(s.policy.apply(notice(randomBytes(32), 'n1', 1), 'mdns'), 'bad-mac');
  const foreign = signDownNotice(s.key, { subject: 'n1', generation: 1, reporter: 'n3', fleetId: 'fedcba9876543210' });
  assert.equal(s.policy.apply(foreign, 'http'), 'other-fleet');
  assert.equal(s.table.counters.badNotice, 2);
  assert.deepEqual(s.downs, []);
});

test('as the browser hook: a notice is applied, a broken one counted (both true); others are not ours', () => {
  const s = setup();
  assert.equal(s.policy.fromQuery([downNoticeRecord(notice(s.key, 'n1', 1))], 'eth0'), true);
  assert.deepEqual(s.downs, ['n1 reported']);
  const txt = (name: string, strings: string[]): Answer => {
    return { type: 'TXT', name, ttl: 120, data: strings.map((x) => Buffer.from(x)) };
  };
  const broken = txt(DOWN_NOTICE_NAME, ['v=1', 'id=n2']);
  assert.equal(s.policy.fromQuery([broken], 'eth1'), true);
  assert.equal(s.table.counters.badNotice, 1);
  assert.equal(s.policy.fromQuery([txt('other._nucmesh._tcp.local', ['a=b'])], 'eth0'), false);
  assert.equal(s.policy.fromQuery([], 'eth0'), false);
  assert.ok(s.table.get('n2'));
});
