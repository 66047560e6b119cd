import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BLOCKED_STATES,
  NODE_STATES,
  NodeState,
  isNodeState,
  sameAdvertised,
  type NodeStateSnapshot,
} from '../../../src/node/node-state.js';

test('state names: the blocked ones are states, strangers are not', () => {
  for (const s of BLOCKED_STATES) assert.ok(NODE_STATES.includes(s));
  assert.ok(isNodeState('no-fleet-config') && isNodeState('bad-fleet-config') && isNodeState('forming'));
  assert.equal(isNodeState('king'), false);
});

test('set: change events only for a difference; a detail goes with its state; k3sPort only for servers', () => {
  const s = new NodeState();
  const changes: [NodeStateSnapshot, NodeStateSnapshot][] = [];
  s.on('change', (next, prev) => changes.push([next, prev]));
  s.set({ state: 'booting' });
  assert.equal(changes.length, 0, 'same state: no event');
  s.set({ state: 'bad-fleet-config', detail: '/key: expected 32 bytes of base64' });
  const detail = '/key: expected 32 bytes of base64';
  assert.deepEqual(s.current, { state: 'bad-fleet-config', clusterId: '', detail });
  s.set({ state: 'forming' });
  assert.equal(s.current.detail, undefined, 'the detail went with its state');
  s.set({ state: 'server', clusterId: 'c1', k3sPort: 6443 });
  s.set({ state: 'agent' });
  assert.deepEqual(s.current, { state: 'agent', clusterId: 'c1' });
  assert.deepEqual(
    changes.map(([n, p]) => `${p.state}→${n.state}`),
    ['booting→bad-fleet-config', 'bad-fleet-config→forming', 'forming→server', 'server→agent'],
  );
});

test('set: a step goes with its change; what the advert carries is compared apart from detail and step', () => {
  const s = new NodeState();
  s.set({ state: 'booting', step: 'identity' });
  assert.equal(s.current.step, 'identity');
  const before = { ...s.current };
  s.set({ state: 'booting' });
  assert.equal(s.current.step, undefined, 'a change without a step clears it');
  assert.ok(sameAdvertised(before, s.current), 'a step is nothing for the advert');
  assert.ok(
    sameAdvertised({ state: 'failed', clusterId: '', detail: 'a' }, { state: 'failed', clusterId: '', detail: 'b' }),
  );
  assert.ok(!sameAdvertised({ state: 'forming', clusterId: '' }, { state: 'joining', clusterId: '' }));
  assert.ok(
    !sameAdvertised(
      { state: 'server', clusterId: 'c1', k3sPort: 6443 },
      { state: 'server', clusterId: 'c2', k3sPort: 6443 },
    ),
  );
});

test('the supported seed is advertised and belongs to the change it came with', () => {
  const s = new NodeState({ state: 'forming', clusterId: '' });
  s.set({ state: 'forming', supports: 'a', supportsIndirect: true });
  assert.deepEqual(s.current, { state: 'forming', clusterId: '', supports: 'a', supportsIndirect: true });
  const before = { ...s.current };
  s.set({ state: 'forming', supports: 'a' });
  assert.ok(!sameAdvertised(before, s.current), 'indirect or not is advertised');
  s.set({ state: 'joining', clusterId: 'c1' });
  assert.equal(s.current.supports, undefined, 'a change without a supported seed clears it');
  assert.ok(!sameAdvertised({ state: 'forming', clusterId: '', supports: 'a' }, { state: 'forming', clusterId: '' }));
});
