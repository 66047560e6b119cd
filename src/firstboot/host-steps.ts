/**
 * Boot steps that change the machine itself; they act only with `--apply-host` (the
 * image's nucmesh.service), never when the agent runs on a developer's machine or in tests.
 * `hostname` (once): the hostname from the node identity, set before anything advertises.
 */
import type { Step } from './steps.js';
import type { BootContext } from './boot-steps.js';
import { applyHostname } from './hostname.js';

export const hostnameStep: Step<BootContext> = {
  name: 'hostname',
  kind: 'once',
  async run(ctx) {
    if (!ctx.identity) throw new Error('the identity must be known before the hostname step');
    if (!ctx.options.applyHost) {
      ctx.log.info({ hostname: ctx.identity.hostname }, 'hostname: not applied (only with --apply-host, as the image service runs)');
      return;
    }
    await applyHostname(ctx.identity.hostname);
    ctx.log.info({ hostname: ctx.identity.hostname }, `hostname: set to ${ctx.identity.hostname}`);
  },
};
