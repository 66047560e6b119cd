/** `start-k3s`: starts k3s for the role (its systemd unit, or a supervised child). Idempotent. */
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';

export const startK3sStep = defineStep<ClusterContext>()({
  name: 'start-k3s',
  kind: 'always',
  needs: ['record', 'role'],
  provides: [],
  async run(ctx) {
    const { clusterId, formation } = ctx.record;
    ctx.state.set({ state: formation === 'seed' ? 'seeding' : 'joining', clusterId, step: 'start-k3s' });
    await ctx.k3s.start(ctx.role);
    return {};
  },
});
