import { test } from 'node:test';
import assert from 'node:assert/strict';
import { historyOf, HISTORY_ANNOTATION, leaseFree, microTime } from '../../../src/cluster/replacement-lease.js';
import { drainSkips } from '../../../src/cluster/leave.js';
import { withPromotions, type Registrar } from '../../../src/cluster/join-registrar.js';

test('MicroTime has six fractional digits (the API server parses RFC 3339 micro)', () => {
  assert.equal(microTime(Date.parse('2026-12-02T01:02:03.456Z')), '2026-12-02T01:02:03.456000Z');
});

test('a Lease is free when nobody holds it, its time ran out, or it is ours', () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  const held = (renew: string) => ({ spec: { holderIdentity: 'other', leaseDurationSeconds: 60, renewTime: renew } });
  assert.equal(leaseFree({ spec: {} }, 'me', now), true);
  assert.equal(leaseFree({ spec: { holderIdentity: '' } }, 'me', now), true);
  assert.equal(leaseFree(held('2026-12-02T11:59:30.000000Z'), 'me', now), false);
  assert.equal(leaseFree(held('2026-12-02T11:58:59.000000Z'), 'me', now), true);
  assert.equal(leaseFree(held('2026-12-02T11:59:30.000000Z'), 'other', now), true);
});

test('the history annotation: a list, and nothing from garbage', () => {
  const rec = { promoted: 'a', by: 's1', at: 'x', outcome: 'server' as const };
  assert.deepEqual(historyOf({ metadata: { annotations: { [HISTORY_ANNOTATION]: JSON.stringify([rec]) } } }), [rec]);
  assert.deepEqual(historyOf({ metadata: { annotations: { [HISTORY_ANNOTATION]: '{not json' } } }), []);
  assert.deepEqual(historyOf(undefined), []);
});

test('drain leaves DaemonSet and mirror pods alone, as kubectl drain does', () => {
  assert.equal(drainSkips({ metadata: { ownerReferences: [{ kind: 'DaemonSet' }] } }), true);
  assert.equal(drainSkips({ metadata: { annotations: { 'kubernetes.io/config.mirror': 'x' } } }), true);
  assert.equal(drainSkips({ metadata: { ownerReferences: [{ kind: 'ReplicaSet' }] } }), false);
});

test('a node marked for promotion gets the server role whatever the ledger says; others ask the ledger', async () => {
  const ledger: Registrar = { assign: () => Promise.resolve({ kind: 'agent' }) };
  const r = withPromotions(ledger, (id) =>
    id === 'boom' ? Promise.reject(new Error('api down')) : Promise.resolve(id === 'p'),
  );
  assert.deepEqual(await r.assign('p'), { kind: 'server' });
  assert.deepEqual(await r.assign('q'), { kind: 'agent' });
  assert.deepEqual(await r.assign('boom'), { kind: 'agent' }, 'the cluster not answering falls back to the ledger');
});
