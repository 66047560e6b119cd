import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/log.js';
import type { ProbeOutcome } from '../../../src/discovery/liveness.js';
import type { Peer } from '../../../src/discovery/peer-table.js';
import {
  createRemovalPolicy,
  EXPIRY_CHECK_JITTER_MS,
  EXPIRY_RECHECK_MS,
} from '../../../src/discovery/removal-policy.js';
import { manualSchedule, tableWith } from '../../helpers/adverts.js';

const log = createLogger({ level: 'silent', format: 'json' });
const KEY = 'nuc-n1._nucmesh._tcp.local';
const settle = () => new Promise((r) => setImmediate(r));

/** A policy over a table holding n1, whose probes answer `outcomes` in turn. */
function setup(outcomes: ProbeOutcome[], lastHeard = () => 0) {
  const { table } = tableWith(['n1']);
  const downs: string[] = [];
  table.on('peer-down', (p, reason) => downs.push(`${p.nodeId} ${reason}`));
  const probed: string[] = [];
  const answer =
    (kind: string) =>
    (p: Peer): Promise<ProbeOutcome> => {
      probed.push(`${kind} ${p.nodeId}`);
      return Promise.resolve(outcomes.shift() ?? 'dead');
    };
  const timers = manualSchedule();
  const removed = createRemovalPolicy({
    table,
    goodbyeProbe: answer('goodbye'),
    probe: answer('heartbeat'),
    lastHeard,
    log,
    now: () => 100,
    random: () => 0.5,
    schedule: timers.schedule,
  });
  return { table, downs, probed, timers, removed };
}

test('a goodbye from a peer that still answers its heartbeat is counted as spoofed, and the peer stays', async () => {
  const s = setup(['alive']);
  s.removed(KEY, 'goodbye');
  await settle();
  assert.deepEqual(s.probed, ['goodbye n1']);
  assert.deepEqual(s.downs, []);
  assert.equal(s.table.counters.spoofedGoodbye, 1);
  assert.ok(s.table.get('n1'));
});

test('a goodbye from a peer that does not answer takes it down as a goodbye', async () => {
  for (const outcome of ['dead', 'unknown'] as const) {
    const s = setup([outcome]);
    s.removed(KEY, 'goodbye');
    await settle();
    assert.deepEqual(s.downs, ['n1 goodbye'], outcome);
  }
});

test('expired records: the check comes at a jittered moment; a peer that answers is kept and counted', async () => {
  const s = setup(['alive']);
  s.removed(KEY, 'expired');
  assert.deepEqual(s.probed, [], 'not at once');
  assert.equal(s.timers.due[0]?.ms, 0.5 * EXPIRY_CHECK_JITTER_MS);
  s.timers.due.shift()?.fn();
  await settle();
  assert.deepEqual(s.probed, ['heartbeat n1']);
  assert.equal(s.table.keptAfterExpiry, 1);
  assert.deepEqual(s.downs, []);
});

test('expired records: timeouts are checked again after each pause, then it goes; refused: at once', async () => {
  const s = setup(['unknown', 'unknown', 'unknown']);
  s.removed(KEY, 'expired');
  for (const pause of [...EXPIRY_RECHECK_MS, undefined]) {
    s.timers.due.shift()?.fn();
    await settle();
    if (pause !== undefined) assert.equal(s.timers.due[0]?.ms, pause);
  }
  assert.equal(s.probed.length, 1 + EXPIRY_RECHECK_MS.length);
  assert.deepEqual(s.downs, ['n1 expired']);

  const refused = setup(['dead']);
  refused.removed(KEY, 'expired');
  refused.timers.due.shift()?.fn();
  await settle();
  assert.deepEqual(refused.downs, ['n1 expired']);
  assert.equal(refused.timers.due.length, 0);
});

test('expired records that came back (heard again since) leave nothing to decide', async () => {
  const s = setup(['dead'], () => 200);
  s.removed(KEY, 'expired');
  s.timers.due.shift()?.fn();
  await settle();
  assert.deepEqual(s.downs, []);
});

test('an instance that is not a live peer is removed at once, without a probe', () => {
  const s = setup([]);
  s.table.markDown('n1');
  s.removed(KEY, 'expired');
  s.removed('nuc-stranger._nucmesh._tcp.local', 'goodbye');
  assert.deepEqual(s.probed, []);
  assert.deepEqual(s.table.dormant(), [], 'the dormant peer is forgotten with its records');
});
