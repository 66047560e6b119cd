/**
 * `ready`: the node is a server or an agent of its cluster. Only now does its advert say so
 * (with the cluster ID and, on servers, the k3s port): joiners then ask it, and systemd is told
 * READY=1.
 */
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';

export const K3S_API_PORT = 6443;

export const readyStep = defineStep<ClusterContext>()({
  name: 'ready',
  kind: 'always',
  needs: ['record', 'role'],
  provides: [],
  async run(ctx) {
    const { clusterId } = ctx.record;
    if (ctx.role === 'agent') ctx.state.set({ state: 'agent', clusterId });
    else ctx.state.set({ state: 'server', clusterId, k3sPort: K3S_API_PORT });
    ctx.log.info({ clusterId, role: ctx.role }, `ready: ${ctx.role} of cluster ${clusterId}`);
    ctx.election.done();
    ctx.onReady?.(ctx.role, clusterId);
    return {};
  },
});
