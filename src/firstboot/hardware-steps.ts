/**
 * The hardware boot steps: `inventory` (always: what this machine is, at every start),
 * `identity` (once: derive and persist the node identity) and `node-summary` (always:
 * load the persisted identity and log one line saying who this node is).
 */
import type { Step } from './steps.js';
import type { BootContext } from './boot-steps.js';
import { detectInventory } from './hardware/index.js';
import { loadIdentity, loadOrCreateIdentity } from './identity.js';

export const inventoryStep: Step<BootContext> = {
  name: 'inventory',
  kind: 'always',
  async run(ctx) {
    const from = ctx.options.hardwareFrom;
    const inv = await detectInventory(from !== undefined ? { from } : {});
    ctx.inventory = inv;
    for (const w of inv.warnings) ctx.log.debug({ warning: w }, `hardware: ${w}`);
    ctx.log.info(
      { platform: inv.platform, cpu: inv.cpu.model, threads: inv.cpu.threads, memoryBytes: inv.memory.totalBytes, disks: inv.disks.length, nics: inv.nics.filter((n) => !n.virtual).length, warnings: inv.warnings.length, from: from ?? 'live' },
      `hardware: ${inv.platform.model ?? inv.platform.kind}, ${inv.cpu.model ?? 'unknown CPU'}, ${inv.warnings.length} source(s) unreadable`,
    );
  },
};

export const identityStep: Step<BootContext> = {
  name: 'identity',
  kind: 'once',
  async run(ctx) {
    if (!ctx.inventory) throw new Error('the inventory step must run before the identity step');
    ctx.identity = await loadOrCreateIdentity(ctx.dataDir, ctx.inventory);
    ctx.log.info({ nodeId: ctx.identity.nodeId, source: ctx.identity.source }, `identity: node ID from ${ctx.identity.source}, persisted`);
  },
};

export const nodeSummaryStep: Step<BootContext> = {
  name: 'node-summary',
  kind: 'always',
  async run(ctx) {
    if (!ctx.inventory) throw new Error('the inventory step must run before the node-summary step');
    // On later starts the `identity` step is skipped: the persisted identity is loaded here.
    ctx.identity ??= (await loadIdentity(ctx.dataDir)) ?? (await loadOrCreateIdentity(ctx.dataDir, ctx.inventory));
    const inv = ctx.inventory;
    const model = inv.platform.model ?? inv.system.product ?? 'unknown model';
    const serial = inv.system.serial ?? inv.board.serial;
    const id = ctx.identity;
    ctx.log.info(
      { model, serial, nodeId: id.nodeId, hostname: id.hostname, idSource: id.source, platform: inv.platform.kind, generation: inv.platform.generation },
      `node ${id.hostname}: ${model}, serial ${serial ?? 'unknown'}, node ID ${id.nodeId}`,
    );
  },
};
