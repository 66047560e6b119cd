/** `label`: the node carries its hardware labels (k3s sets them at registration; this checks and fixes). */
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';

export const labelStep = defineStep<ClusterContext>()({
  name: 'label',
  kind: 'always',
  needs: ['role'],
  provides: [],
  async run(ctx) {
    await ctx.k3s.ensureLabels(ctx.role, ctx.node.nodeName, ctx.node.labels);
    return {};
  },
});
