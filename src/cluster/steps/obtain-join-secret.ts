/**
 * `obtain-join-secret`: a joiner asks the servers of its cluster, one after the other, for its
 * role and token through the join exchange (mutually authenticated with the fleet key). The
 * answer is kept 0600 in the data dir, so a restart does not ask again and keeps the role the
 * cluster gave. The seed skips this: it makes the cluster's tokens itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../errors.js';
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';
import { readJoinSecret, writeJoinSecret } from '../cluster-record.js';
import { serversOf } from '../cluster-view.js';

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
    for (let round = 0; ; round++) {
      ctx.signal.throwIfAborted();
      const servers = serversOf(ctx.net.peers(), clusterId);
      const refusals: string[] = [];
      for (const peer of servers) {
        try {
          const secret = await ctx.join.request(peer, ctx.signal);
          await writeJoinSecret(ctx.dataDir, secret);
          ctx.log.info(
            { clusterId, via: peer.nodeId, role: secret.role },
            `join: ${peer.nodeId} gave us the role ${secret.role}`,
          );
          return { secret, role: secret.role };
        } catch (err) {
          ctx.signal.throwIfAborted();
          refusals.push(`${peer.nodeId}: ${errorMessage(err)}`);
        }
      }
      const pause = PAUSES_MS[Math.min(round, PAUSES_MS.length - 1)] ?? 10_000;
      const detail =
        servers.length === 0
          ? `waiting for a server of cluster ${clusterId} to be visible`
          : `no server of cluster ${clusterId} gave a join yet (${refusals.join('; ')})`;
      ctx.state.set({ state: 'joining', clusterId, step: 'obtain-join-secret', detail });
      if (round % 5 === 0) ctx.log.info({ clusterId, servers: servers.map((s) => s.nodeId) }, detail);
      await sleep(pause, undefined, { signal: ctx.signal });
    }
  },
});
