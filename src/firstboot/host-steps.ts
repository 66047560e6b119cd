/**
 * Boot steps that change the machine itself; they act only with `--apply-host` (the
 * image's nucmesh.service), never when the agent runs on a developer's machine or in tests.
 * Without it they are recorded as skipped and looked at again at the next start.
 * `hostname` (once): the hostname from the node identity, set before anything advertises.
 */
import { defineStep } from '../node/steps.js';
import type { BootContext } from './boot-context.js';
import { applyHostname } from './hostname.js';

const step = defineStep<BootContext>();

export const hostnameStep = step({
  name: 'hostname',
  kind: 'once',
  needs: ['identity'],
  provides: [],
  skipReason: (ctx) =>
    ctx.options.applyHost ? undefined : 'not applied (only with --apply-host, as the image service runs)',
  async run(ctx) {
    await (ctx.setHostname ?? applyHostname)(ctx.identity.hostname);
    ctx.log.info({ hostname: ctx.identity.hostname }, `hostname: set to ${ctx.identity.hostname}`);
    return {};
  },
});
