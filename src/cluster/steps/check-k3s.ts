/**
 * `check-k3s`: k3s is installed. Checked before the election, so a node that cannot run k3s
 * never seeds a cluster nobody can join: it stops here as `k3s-missing` (banner, log, advert),
 * discovery and the API keep running, and the agent looks again (the retry pauses).
 */
import { NucmeshError } from '../../errors.js';
import { defineStep } from '../../node/steps.js';
import type { ClusterContext } from '../cluster-context.js';

export const checkK3sStep = defineStep<ClusterContext>()({
  name: 'check-k3s',
  kind: 'always',
  needs: [],
  provides: [],
  async run(ctx) {
    if (!(await ctx.k3s.available()))
      throw new NucmeshError(
        'E_K3S_MISSING',
        'the k3s executable is not installed: this image was built without k3s (scripts/build-image.sh downloads it unless given --without-k3s)',
      );
    return {};
  },
});
