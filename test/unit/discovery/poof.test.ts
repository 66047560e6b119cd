import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPoof, POOF_WAIT_MS } from '../../../src/discovery/poof.js';
import { manualSchedule, tableWith } from '../../helpers/adverts.js';

const N1 = 'nuc-n1._nucmesh._tcp.local';
const N2 = 'nuc-n2._nucmesh._tcp.local';

function setup() {
  const { table } = tableWith(['n1', 'n2']);
  table.markDown('n2');
  const suspected: string[] = [];
  let heard = 10;
  const timers = manualSchedule();
  const suspect = (id: string): number => suspected.push(id);
  const onQuery = createPoof({ table, lastHeard: () => heard, suspect, schedule: timers.schedule });
  return { onQuery, suspected, timers, answer: () => (heard += 1) };
}

test('a query for a live peer that goes unanswered makes us check it after POOF_WAIT_MS', () => {
  const s = setup();
  s.onQuery(N1, false);
  assert.deepEqual(s.suspected, []);
  assert.equal(s.timers.due[0]?.ms, POOF_WAIT_MS);
  s.timers.due[0]?.fn();
  assert.deepEqual(s.suspected, ['n1']);
});

test('a query the peer answers in time costs nothing', () => {
  const s = setup();
  s.onQuery(N1, false);
  s.answer();
  s.timers.due[0]?.fn();
  assert.deepEqual(s.suspected, []);
});

test('a query for a peer held as down makes us check it at once (it may be back)', () => {
  const s = setup();
  s.onQuery(N2, false);
  assert.deepEqual(s.suspected, ['n2']);
  assert.equal(s.timers.due.length, 0);
});

test('a query whose extra records were dealt with, or about an instance we do not hold, needs nothing', () => {
  const s = setup();
  s.onQuery(N1, true);
  s.onQuery(N2, true);
  s.onQuery('nuc-x._nucmesh._tcp.local', false);
  assert.deepEqual(s.suspected, []);
  assert.equal(s.timers.due.length, 0);
});
