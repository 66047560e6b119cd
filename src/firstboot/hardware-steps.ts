/**
 * The hardware boot steps: `inventory` (always: what this machine is, at every start),
 * `identity` (once: derive and persist the node identity; later starts load it) and
 * `node-summary` (always: one log line saying who this node is).
 */
import { defineStep } from '../node/steps.js';
import type { BootContext } from './boot-context.js';
import { detectInventory } from './hardware/index.js';
import { loadIdentity, loadOrCreateIdentity } from './identity.js';

const step = defineStep<BootContext>();

export const inventoryStep = step({
  name: 'inventory',
  kind: 'always',
  needs: [],
  provides: ['inventory'],
  async run(ctx) {
    const from = ctx.options.hardwareFrom;
    const inv = await detectInventory(from !== undefined ? { from } : {});
    for (const w of inv.warnings) ctx.log.debug({ warning: w }, `hardware: ${w}`);
    ctx.log.info(
      {
        platform: inv.platform,
        cpu: inv.cpu.model,
        threads: inv.cpu.threads,
        memoryBytes: inv.memory.totalBytes,
        disks: inv.disks.length,
        nics: inv.nics.filter((n) => !n.virtual).length,
        warnings: inv.warnings.length,
        from: from ?? 'live',
      },
      `hardware: ${inv.platform.model ?? inv.platform.kind}, ${inv.cpu.model ?? 'unknown CPU'}, ${inv.warnings.length} source(s) unreadable`,
    );
    return { inventory: inv };
  },
});

export const identityStep = step({
  name: 'identity',
  kind: 'once',
  needs: ['inventory'],
  provides: ['identity'],
  async run(ctx) {
    const identity = await loadOrCreateIdentity(ctx.dataDir, ctx.inventory);
    ctx.log.info(
      { nodeId: identity.nodeId, source: identity.source },
      `identity: node ID from ${identity.source}, persisted`,
    );
    return { identity };
  },
  async load(ctx) {
    const identity = await loadIdentity(ctx.dataDir);
    return identity ? { identity } : undefined;
  },
});

export const nodeSummaryStep = step({
  name: 'node-summary',
  kind: 'always',
  needs: ['inventory', 'identity'],
  provides: [],
  async run(ctx) {
    const inv = ctx.inventory;
    const model = inv.platform.model ?? inv.system.product ?? 'unknown model';
    const serial = inv.system.serial ?? inv.board.serial;
    const id = ctx.identity;
    ctx.log.info(
      {
        model,
        serial,
        nodeId: id.nodeId,
        hostname: id.hostname,
        idSource: id.source,
        platform: inv.platform.kind,
        generation: inv.platform.generation,
      },
      `node ${id.hostname}: ${model}, serial ${serial ?? 'unknown'}, node ID ${id.nodeId}`,
    );
    return {};
  },
});
