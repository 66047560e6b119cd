/**
 * `wait-ready`: waits until k3s says this node is Ready (the API server's /readyz and the
 * Node's Ready condition, through the driver). From then on the node belongs to its cluster for
 * good (cluster.json `everReady`): a restart never runs the election again.
 */
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';
import { writeClusterRecord } from '../cluster-record.js';

export const waitReadyStep = defineStep<ClusterContext>()({
  name: 'wait-ready',
  kind: 'always',
  needs: ['record', 'role'],
  provides: ['record'],
  async run(ctx) {
    await ctx.k3s.waitReady(ctx.role, ctx.node.nodeName, ctx.signal);
    if (ctx.record.everReady) return { record: ctx.record };
    const record = { ...ctx.record, everReady: true };
    await writeClusterRecord(ctx.dataDir, record);
    return { record };
  },
});
