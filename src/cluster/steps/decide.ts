/**
 * `decide`: seed a new cluster or join the one that exists, settled once and kept.
 *
 * - A node that was Ready in a cluster belongs to it: nothing is decided again.
 * - A node that was to join keeps its cluster (a restart mid-join resumes the join).
 * - `nucmesh reset --rejoin ID` leaves a request: join that cluster, no election.
 * - A seed that never got Ready (killed during start-k3s) runs the election again as a committed
 *   seed: it keeps its cluster unless another cluster formed meanwhile, which it then joins
 *   after removing its own k3s state (nobody can have joined a cluster that never was Ready).
 * - Otherwise the election settles it (src/cluster/election.ts, through the election port).
 */
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';
import {
  newClusterId,
  readClusterRecord,
  readRejoin,
  writeClusterRecord,
  type ClusterRecord,
} from '../cluster-record.js';

export const decideStep = defineStep<ClusterContext>()({
  name: 'decide',
  kind: 'always',
  needs: [],
  provides: ['record'],
  async run(ctx) {
    const rejoin = await readRejoin(ctx.dataDir);
    const known = await readClusterRecord(ctx.dataDir);
    if (known && (known.everReady || known.formation === 'join') && !(rejoin && rejoin.clusterId !== known.clusterId))
      return { record: known };
    if (rejoin) {
      ctx.state.set({ state: 'joining', clusterId: rejoin.clusterId, step: 'decide' });
      const record: ClusterRecord = { version: 1, formation: 'join', clusterId: rejoin.clusterId, everReady: false };
      await writeClusterRecord(ctx.dataDir, record);
      return { record };
    }
    const formation = await ctx.election.settle(known?.formation === 'seed', ctx.signal);
    if (formation.kind === 'seed') {
      const record: ClusterRecord = known ?? {
        version: 1,
        formation: 'seed',
        clusterId: newClusterId(ctx.config.name),
        everReady: false,
      };
      await writeClusterRecord(ctx.dataDir, record);
      ctx.log.info({ clusterId: record.clusterId }, `decided: seed cluster ${record.clusterId}`);
      return { record };
    }
    if (known?.formation === 'seed') {
      ctx.log.warn(
        { was: known.clusterId, clusterId: formation.clusterId },
        `cluster ${formation.clusterId} formed while our seed ${known.clusterId} never got Ready: removing its k3s state to join`,
      );
      await ctx.k3s.stop();
      await ctx.k3s.wipe();
    }
    const record: ClusterRecord = { version: 1, formation: 'join', clusterId: formation.clusterId, everReady: false };
    await writeClusterRecord(ctx.dataDir, record);
    ctx.log.info({ clusterId: record.clusterId, via: formation.via }, `decided: join cluster ${record.clusterId}`);
    return { record };
  },
});
