import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareRank } from '../../../src/cluster/election.js';
import {
  ETCD_ROLE_LABEL,
  leaveRefusal,
  memberOf,
  NODE_ID_LABEL,
  PROMOTE_ANNOTATION,
  quorumOf,
  type ClusterMember,
} from '../../../src/cluster/members.js';
import { planReplacement, type ReplacementPolicy } from '../../../src/cluster/replacement-plan.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const MIN = 60_000;

function member(name: string, o: Partial<ClusterMember> = {}): ClusterMember {
  return {
    name,
    nodeId: `id-${name}`,
    server: false,
    ready: true,
    readySince: NOW - 60 * MIN,
    unschedulable: false,
    leaving: false,
    drained: false,
    deleting: false,
    ...o,
  };
}
const server = (name: string, o: Partial<ClusterMember> = {}) => member(name, { server: true, ...o });
const policy: ReplacementPolicy = { servers: 3, replaceAfterMs: 5 * MIN, rank: compareRank([]) };

test('a Node object becomes a member: role, Ready and since when, node ID, marks', () => {
  const m = memberOf({
    metadata: {
      name: 'nuc-a',
      labels: { [ETCD_ROLE_LABEL]: 'true', [NODE_ID_LABEL]: 'abc' },
      annotations: { [PROMOTE_ANNOTATION]: 'seed-id' },
    },
    spec: { unschedulable: true },
    status: { conditions: [{ type: 'Ready', status: 'Unknown', lastTransitionTime: '2026-12-02T11:00:00Z' }] },
  });
  assert.deepEqual(m, {
    name: 'nuc-a',
    nodeId: 'abc',
    server: true,
    ready: false,
    readySince: Date.parse('2026-12-02T11:00:00Z'),
    unschedulable: true,
    promotedBy: 'seed-id',
    leaving: false,
    drained: false,
    deleting: false,
  });
});

test('quorum: more than half of the servers Ready', () => {
  assert.equal(quorumOf([server('a'), server('b'), server('c', { ready: false })]).hasQuorum, true);
  assert.equal(quorumOf([server('a'), server('b', { ready: false }), server('c', { ready: false })]).hasQuorum, false);
  assert.equal(quorumOf([server('a'), server('b', { ready: false })]).hasQuorum, false);
});

test('a server NotReady past replaceAfter is replaced by the best ranked Ready agent', () => {
  const members = [
    server('s1'),
    server('s2'),
    server('s3', { ready: false, readySince: NOW - 6 * MIN }),
    member('a2', { nodeId: 'id-b' }),
    member('a1', { nodeId: 'id-a' }),
    member('a0', { nodeId: 'id-0', ready: false }),
    member('a3', { nodeId: 'id-00', unschedulable: true }),
  ];
  const plan = planReplacement(members, policy, NOW);
  assert.equal(plan.kind, 'replace');
  assert.equal(plan.kind === 'replace' && plan.dead?.name, 's3');
  assert.equal(plan.kind === 'replace' && plan.promote.name, 'a1', 'Ready, schedulable, lowest node ID');
  const preferred = planReplacement(members, { ...policy, rank: compareRank(['id-b']) }, NOW);
  assert.equal(preferred.kind === 'replace' && preferred.promote.name, 'a2', 'preferredServers first');
});

test('nothing before replaceAfter, without quorum, during a promotion, or without a candidate', () => {
  const young = [server('s1'), server('s2'), server('s3', { ready: false, readySince: NOW - 4 * MIN }), member('a')];
  assert.match(reason(planReplacement(young, policy, NOW)), /s3 NotReady, not yet/);
  const lost = [
    server('s1'),
    server('s2', { ready: false, readySince: 0 }),
    server('s3', { ready: false, readySince: 0 }),
    member('a'),
  ];
  assert.match(reason(planReplacement(lost, policy, NOW)), /no quorum \(1 of 3/);
  const busy = [
    server('s1'),
    server('s2'),
    server('s3', { ready: false, readySince: 0 }),
    member('a', { promotedBy: 'x' }),
  ];
  assert.match(reason(planReplacement(busy, policy, NOW)), /a is becoming a server/);
  const alone = [
    server('s1'),
    server('s2'),
    server('s3', { ready: false, readySince: 0 }),
    member('a', { leaving: true }),
  ];
  assert.match(reason(planReplacement(alone, policy, NOW)), /no Ready agent can take its place/);
  const whole = [server('s1'), server('s2'), server('s3'), member('a')];
  assert.match(reason(planReplacement(whole, policy, NOW)), /all 3 servers Ready/);
});

test('a cluster short of servers (one left) gets one, with nothing deleted; one still forming does not', () => {
  const forming = planReplacement([server('s1'), server('s2'), member('a')], policy, NOW, 2);
  assert.match(reason(forming), /all 2 servers Ready/, 'the join ledger fills the slots while it forms');
  const plan = planReplacement([server('s1'), server('s2'), member('a')], policy, NOW, 3);
  assert.equal(plan.kind, 'replace');
  assert.equal(plan.kind === 'replace' && plan.dead, undefined);
  assert.equal(plan.kind === 'replace' && plan.promote.name, 'a');
});

test('leaving: refused on the last server and where it breaks quorum; agents always may', () => {
  assert.match(leaveRefusal([server('s1'), member('a')], 's1') ?? '', /last server/);
  const oneDown = [server('s1'), server('s2'), server('s3', { ready: false })];
  assert.match(leaveRefusal(oneDown, 's1') ?? '', /break etcd's quorum: 1 of the 2 remaining/);
  assert.equal(leaveRefusal(oneDown, 's3'), undefined, 'the NotReady one may go: 2 of 2 stay Ready');
  assert.equal(leaveRefusal([server('s1'), server('s2'), server('s3')], 's2'), undefined);
  assert.equal(leaveRefusal([server('s1'), member('a')], 'a'), undefined);
});

function reason(plan: ReturnType<typeof planReplacement>): string {
  return plan.kind === 'none' ? plan.reason : `replace ${plan.dead?.name ?? '-'} by ${plan.promote.name}`;
}
