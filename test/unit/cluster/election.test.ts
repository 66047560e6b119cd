import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareRank,
  decide,
  majorityOf,
  type ElectionInput,
  type ElectionPeer,
} from '../../../src/cluster/election.js';

const config = { preferredServers: [], formingSeconds: 5, claimHoldSeconds: 4, servers: 3 };

/** Node `b`, past its forming window, seeing these peers. */
function input(peers: ElectionPeer[], over: Partial<ElectionInput> = {}): ElectionInput {
  return {
    self: { nodeId: 'b', clusterId: '', committed: false },
    peers,
    formingForMs: 6000,
    config,
    ...over,
  };
}

const forming = (nodeId: string, supports?: string): ElectionPeer => ({
  nodeId,
  state: 'forming',
  clusterId: '',
  ...(supports !== undefined ? { supports } : {}),
});

test('rank: preferredServers first, in their order, then node ID', () => {
  const ids = ['c', 'a', 'z', 'b', 'y'];
  assert.deepEqual([...ids].sort(compareRank([])), ['a', 'b', 'c', 'y', 'z']);
  assert.deepEqual([...ids].sort(compareRank(['z', 'c'])), ['z', 'c', 'a', 'b', 'y']);
  assert.equal(majorityOf(5), 3);
  assert.equal(majorityOf(4), 3);
  assert.equal(majorityOf(1), 1);
});

test('a node supports the best-ranked candidate it sees and waits while that is not itself', () => {
  const d = decide(input([forming('a'), forming('c', 'b')]));
  assert.deepEqual(d, { kind: 'wait', reason: 'better-candidate', supports: 'a' });
  // preferredServers outranks the node ID.
  const pref = decide(input([forming('a')], { config: { ...config, preferredServers: ['b'] } }));
  assert.equal(pref.kind, 'claim');
  // Peers that are not candidates (booting, failed) do not outrank anyone.
  const d2 = decide(input([{ nodeId: 'a', state: 'failed', clusterId: '' }]));
  assert.equal(d2.kind, 'claim');
});

test('the best node waits out its forming window, then claims; backed only when every candidate supports it', () => {
  assert.deepEqual(decide(input([forming('c', 'b')], { formingForMs: 4999 })), {
    kind: 'wait',
    reason: 'forming-window',
    supports: 'b',
  });
  assert.deepEqual(decide(input([forming('c', 'b'), forming('d', 'c')])), {
    kind: 'claim',
    supports: 'b',
    backed: false,
  });
  assert.deepEqual(decide(input([forming('c', 'b'), forming('d')])), { kind: 'claim', supports: 'b', backed: false });
  assert.deepEqual(decide(input([forming('c', 'b'), forming('d', 'b')])), {
    kind: 'claim',
    supports: 'b',
    backed: true,
  });
});

test('a backed claim seeds once held for claimHoldSeconds', () => {
  const peers = [forming('c', 'b')];
  assert.equal(decide(input(peers, { claimHeldForMs: 3999 })).kind, 'claim');
  assert.deepEqual(decide(input(peers, { claimHeldForMs: 4000 })), { kind: 'seed' });
  // Not backed: the hold does not count.
  assert.equal(decide(input([forming('c', 'd')], { claimHeldForMs: 10_000 })).kind, 'claim');
  // A lone node seeds too (a fleet of one).
  assert.deepEqual(decide(input([], { claimHeldForMs: 4000 })), { kind: 'seed' });
});

test('lost peers rank and keep our support, but neither back a claim nor count toward the quorum', () => {
  const lostBetter: ElectionPeer = { ...forming('a', 'a'), lost: true };
  assert.deepEqual(decide(input([lostBetter])), { kind: 'wait', reason: 'better-candidate', supports: 'a' });
  // A lost supporter whose last word was someone else does not break our hold.
  const lostWorse: ElectionPeer = { ...forming('c', 'c'), lost: true };
  assert.deepEqual(decide(input([lostWorse, forming('d', 'b')], { claimHeldForMs: 4000 })), { kind: 'seed' });
  const quorum = { ...config, expectedNodes: 5 };
  assert.equal(decide(input([forming('c', 'b'), lostWorse], { config: quorum })).kind, 'wait');
  assert.equal(decide(input([forming('c', 'b'), forming('d', 'b')], { config: quorum })).kind, 'claim');
});

test('with expectedNodes, nothing claims before a majority is in view', () => {
  const cfg = { ...config, expectedNodes: 4 };
  assert.deepEqual(decide(input([forming('c', 'b')], { config: cfg, claimHeldForMs: 60_000 })), {
    kind: 'wait',
    reason: 'quorum',
    supports: 'b',
  });
  assert.equal(decide(input([forming('c', 'b'), forming('d', 'b')], { config: cfg })).kind, 'claim');
});

test('a visible cluster is joined at once via its servers, best first, even inside the forming window', () => {
  const peers: ElectionPeer[] = [
    { nodeId: 'z', state: 'server', clusterId: 'k1' },
    { nodeId: 'x', state: 'server', clusterId: 'k1', lost: true },
    { nodeId: 'm', state: 'seeding', clusterId: 'k1' },
    { nodeId: 'a', state: 'agent', clusterId: 'k1' },
    forming('a0', 'a0'),
  ];
  assert.deepEqual(decide(input(peers, { formingForMs: 0 })), { kind: 'join', clusterId: 'k1', via: ['m', 'z', 'x'] });
  // A cluster in view is never seeded next to, even by a committed-looking claim hold.
  assert.deepEqual(decide(input([{ nodeId: 'q', state: 'agent', clusterId: 'k1' }], { claimHeldForMs: 1e9 })), {
    kind: 'wait',
    reason: 'no-server',
    supports: '',
  });
  assert.deepEqual(decide(input([{ nodeId: 'q', state: 'joining', clusterId: 'k1' }])), {
    kind: 'wait',
    reason: 'cluster-not-up',
    supports: '',
  });
});

test('a reinstalled node (no cluster ID of its own) rejoins its old cluster and never seeds', () => {
  const peers: ElectionPeer[] = [
    { nodeId: 'a', state: 'server', clusterId: 'k1' },
    { nodeId: 'c', state: 'agent', clusterId: 'k1' },
  ];
  for (const formingForMs of [0, 6000, 1e7])
    assert.deepEqual(decide(input(peers, { formingForMs, claimHeldForMs: 1e7 })), {
      kind: 'join',
      clusterId: 'k1',
      via: ['a'],
    });
});

test('a committed seed stays the seed; a peer that committed without a cluster ID yet is supported', () => {
  assert.deepEqual(decide(input([forming('a', 'a')], { self: { nodeId: 'b', clusterId: '', committed: true } })), {
    kind: 'seed',
  });
  assert.deepEqual(decide(input([forming('a', 'a'), { nodeId: 'q', state: 'seeding', clusterId: '' }])), {
    kind: 'wait',
    reason: 'seed-committed',
    supports: 'q',
  });
});

test('two clusters in view, ours included, are a conflict naming both with their sizes', () => {
  const peers: ElectionPeer[] = [
    { nodeId: 'a', state: 'server', clusterId: 'k1' },
    { nodeId: 'c', state: 'agent', clusterId: 'k1' },
    { nodeId: 'd', state: 'server', clusterId: 'k2' },
  ];
  assert.deepEqual(decide(input(peers)), {
    kind: 'conflict',
    clusters: [
      { clusterId: 'k1', size: 2 },
      { clusterId: 'k2', size: 1 },
    ],
  });
  const member = decide(input(peers.slice(2), { self: { nodeId: 'b', clusterId: 'k3', committed: true } }));
  assert.deepEqual(member, {
    kind: 'conflict',
    clusters: [
      { clusterId: 'k2', size: 1 },
      { clusterId: 'k3', size: 1 },
    ],
  });
  // Our own cluster alone is no conflict: a member keeps its cluster.
  const alone = decide(input(peers.slice(0, 2), { self: { nodeId: 'b', clusterId: 'k1', committed: false } }));
  assert.deepEqual(alone, { kind: 'join', clusterId: 'k1', via: ['a'] });
});

test('a cluster whose members in view are all joining (its seed died) is no conflict: the up one is joined', () => {
  const peers: ElectionPeer[] = [
    { nodeId: 'j', state: 'joining', clusterId: 'k1' },
    { nodeId: 's', state: 'server', clusterId: 'k2' },
  ];
  assert.deepEqual(decide(input(peers)), { kind: 'join', clusterId: 'k2', via: ['s'] });
});

test('a candidate we do not see, supported directly by one we see, is supported indirectly and never passed on', () => {
  // We (b) do not hear a; c does and supports it.
  assert.deepEqual(decide(input([forming('c', 'a')])), {
    kind: 'wait',
    reason: 'better-candidate',
    supports: 'a',
    indirect: true,
  });
  // Support that is itself indirect names no one new: a dead candidate is not kept alive by hearsay.
  const hearsay: ElectionPeer = { ...forming('c', 'a'), supportsIndirect: true };
  assert.equal(decide(input([hearsay])).kind, 'claim');
  // A node we see, but not as a candidate (it joined a cluster meanwhile), is nobody's candidate.
  const joined: ElectionPeer = { nodeId: 'a', state: 'agent', clusterId: '' };
  assert.equal(decide(input([forming('c', 'a'), joined])).kind, 'claim');
  // Indirect support backs a claim.
  const a = decide({
    ...input([hearsay]),
    self: { nodeId: 'a', clusterId: '', committed: false },
    claimHeldForMs: 4000,
  });
  assert.deepEqual(a, { kind: 'seed' });
});
