/**
 * `configure-k3s`: writes nucmesh's k3s drop-in for this node's role (the driver knows the file
 * and the format). Run at every start, so a changed fleet config or address is taken up.
 */
import { NucmeshError } from '../../errors.js';
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';
import { seedTokens } from '../cluster-record.js';
import type { K3sRoleConfig } from '../ports.js';

export const configureK3sStep = defineStep<ClusterContext>()({
  name: 'configure-k3s',
  kind: 'always',
  needs: ['record'],
  provides: ['role'],
  async run(ctx) {
    let config: K3sRoleConfig;
    if (ctx.record.formation === 'seed') config = { role: 'seed', ...(await seedTokens(ctx.dataDir)) };
    else if (ctx.secret) config = { role: ctx.secret.role, serverUrl: ctx.secret.serverUrl, token: ctx.secret.token };
    else throw new NucmeshError('E_STEP_ORDER', 'configure-k3s: a joiner without a join secret (a bug)');
    await ctx.k3s.configure(config, ctx.node);
    return { role: config.role };
  },
});
