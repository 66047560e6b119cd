/**
 * `decide`: seed a new cluster or join the one that exists, settled once and kept.
 *
 * - A node that was Ready in a cluster belongs to it: nothing is decided again.
 * - A node that was to join but is not a member yet takes part in the election again: it finds
 *   its cluster again at once when it is in sight (join before seed), and does not wait for one
 *   whose seed died before it was up.
 * - `nucmesh reset --rejoin ID` leaves a request: join that cluster, no election.
 * - A seed that never got Ready (killed during start-k3s) runs the election again as a committed
 *   seed: it keeps its cluster unless another cluster formed meanwhile, which it then joins
 *   after removing its own k3s state (nobody can have joined a cluster that never was Ready).
 * - Otherwise the election settles it (src/cluster/election.ts, through the election port).
 */
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';
import {
  readClusterRecord,
  readRejoin,
  removeJoinSecret,
  writeClusterRecord,
  type ClusterRecord,
} from '../cluster-record.js';

export const decideStep = defineStep<ClusterContext>()({
  name: 'decide',
  kind: 'always',
  needs: [],
  provides: ['record'],
  async run(ctx) {
    const record = await decided(ctx);
    ctx.log.info(
      { clusterId: record.clusterId, formation: record.formation },
      `decided: ${record.formation} cluster ${record.clusterId}`,
    );
    return { record };
  },
});

async function decided(ctx: ClusterContext): Promise<ClusterRecord> {
  const rejoin = await readRejoin(ctx.dataDir);
  const known = await readClusterRecord(ctx.dataDir);
  if (known?.everReady && !(rejoin && rejoin.clusterId !== known.clusterId)) return known;
  if (rejoin) {
    ctx.state.set({ state: 'joining', clusterId: rejoin.clusterId, step: 'decide' });
    const record: ClusterRecord = { version: 1, formation: 'join', clusterId: rejoin.clusterId, everReady: false };
    return keep(ctx, known, record);
  }
  const committed = known?.formation === 'seed';
  const formation = await ctx.election.settle({ committed, clusterId: committed ? known.clusterId : '' }, ctx.signal);
  if (formation.kind === 'seed') {
    const record: ClusterRecord = { version: 1, formation: 'seed', clusterId: formation.clusterId, everReady: false };
    return keep(ctx, known, record);
  }
  if (committed) {
    ctx.log.warn(
      { was: known.clusterId, clusterId: formation.clusterId },
      `cluster ${formation.clusterId} formed while our seed ${known.clusterId} never got Ready: removing its k3s state to join`,
    );
    await ctx.k3s.stop();
    await ctx.k3s.wipe();
  }
  const record: ClusterRecord = { version: 1, formation: 'join', clusterId: formation.clusterId, everReady: false };
  return keep(ctx, known, record);
}

/** Persists the decision; a join secret from another cluster than the one decided on is dropped. */
async function keep(
  ctx: ClusterContext,
  known: ClusterRecord | undefined,
  record: ClusterRecord,
): Promise<ClusterRecord> {
  if (known && known.clusterId !== record.clusterId) await removeJoinSecret(ctx.dataDir);
  await writeClusterRecord(ctx.dataDir, record);
  return record;
}
