/**
 * `obtain-join-secret`: a joiner asks the servers of its cluster, one after the other, for its
 * role and token through the join exchange (mutually authenticated with the fleet key). The
 * answer is kept 0600 in the data dir, so a restart does not ask again and keeps the role the
 * cluster gave. The seed skips this: it makes the cluster's tokens itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';
import { NucmeshError } from '../../errors.js';
import { readJoinSecret, removeClusterRecord, writeJoinSecret } from '../cluster-record.js';
import { serversOf } from '../cluster-view.js';
import type { ClusterPeer } from '../ports.js';

/** Pauses between rounds of asking every server: quick at first, then every 10 s. */
const PAUSES_MS = [1000, 2000, 4000, 10_000] as const;

export const obtainJoinSecretStep = defineStep<ClusterContext>()({
  name: 'obtain-join-secret',
  kind: 'once',
  needs: ['record'],
  provides: ['secret', 'role'],
  skipReason: (ctx) => (ctx.record.formation === 'seed' ? 'the seed makes the cluster tokens itself' : undefined),
  async load(ctx) {
    const secret = await readJoinSecret(ctx.dataDir);
    return secret && { secret, role: secret.role };
  },
  async run(ctx) {
    const { clusterId } = ctx.record;
    let first: string | undefined;
    for (let round = 0; ; round++) {
      ctx.signal.throwIfAborted();
      if (ctx.election.revoked(clusterId)) {
        await removeClusterRecord(ctx.dataDir);
        throw new NucmeshError(
          'E_CLUSTER_GONE',
          `cluster ${clusterId} is gone before it was up (its seed died); deciding again`,
          { data: { clusterId } },
        );
      }
      const servers = inAskingOrder(serversOf(ctx.net.peers(), clusterId), first);
      const notes: string[] = [];
      let pause: number = PAUSES_MS[Math.min(round, PAUSES_MS.length - 1)] ?? 10_000;
      for (const peer of servers) {
        const answer = await ctx.join.request(peer, ctx.signal);
        ctx.signal.throwIfAborted();
        if (answer.kind === 'granted') {
          const { secret } = answer;
          await writeJoinSecret(ctx.dataDir, secret);
          ctx.log.info(
            { clusterId, via: peer.nodeId, role: secret.role },
            `join: ${peer.nodeId} gave us the role ${secret.role}`,
          );
          return { secret, role: secret.role };
        }
        if (answer.kind === 'ask') {
          first = answer.nodeId;
          notes.push(`${peer.nodeId}: roles are given by ${answer.nodeId}`);
          // Straight on to the registrar when it is in sight; else the usual pause (no busy loop).
          if (servers.some((s) => s.nodeId === answer.nodeId)) pause = 0;
        } else if (answer.kind === 'wait') {
          notes.push(`${peer.nodeId}: another server is joining; asking again in ${Math.ceil(answer.ms / 1000)} s`);
          pause = answer.ms;
        } else notes.push(`${peer.nodeId}: ${answer.reason}`);
        if (answer.kind !== 'failed') break;
      }
      const detail =
        servers.length === 0
          ? `waiting for a server of cluster ${clusterId} to be visible`
          : `no join from cluster ${clusterId} yet (${notes.join('; ')})`;
      ctx.state.set({ state: 'joining', clusterId, step: 'obtain-join-secret', detail });
      if (round % 5 === 0) ctx.log.info({ clusterId, servers: servers.map((s) => s.nodeId) }, detail);
      if (pause > 0) await sleep(pause, undefined, { signal: ctx.signal });
    }
  },
});

/** The servers with `first` (the registrar, when a server named it) at the front. */
function inAskingOrder(servers: ClusterPeer[], first: string | undefined): ClusterPeer[] {
  const i = servers.findIndex((s) => s.nodeId === first);
  if (i <= 0) return servers;
  return [servers[i] as ClusterPeer, ...servers.slice(0, i), ...servers.slice(i + 1)];
}
