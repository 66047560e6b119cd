import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelPatch } from '../../../src/cluster/k3s-labels.js';

test('the label patch sets missing and changed own labels, removes stale own ones, leaves others alone', () => {
  const current = {
    'nucmesh.io/cpu': 'i5',
    'nucmesh.io/disk-count': '1',
    'nucmesh.io/gone': 'x',
    'node-role.kubernetes.io/control-plane': 'true',
    team: 'ops',
  };
  const wanted = { 'nucmesh.io/cpu': 'i5', 'nucmesh.io/disk-count': '2', 'nucmesh.io/memory-gib': '32' };
  assert.deepEqual(labelPatch(current, wanted), {
    'nucmesh.io/disk-count': '2',
    'nucmesh.io/memory-gib': '32',
    'nucmesh.io/gone': null,
  });
});

test('no patch when the node carries what is wanted', () => {
  assert.equal(labelPatch({ 'nucmesh.io/cpu': 'i5', team: 'ops' }, { 'nucmesh.io/cpu': 'i5' }), undefined);
});
