/**
 * Installer mode: the agent on a nucmesh stick that booted (live mode, /run/nucmesh/live.env)
 * installs onto the internal disk instead of joining anything. It reads the `install` settings
 * from the stick's fleet config, decides (src/installer/decide.ts), shows progress and then the
 * outcome in large letters on the banner, and reboots into the internal disk. Nothing is written
 * to the stick: progress is in memory and on the target.
 */
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { InstallConfig } from '../config/fleet-schema.js';
import { loadFleetConfig } from '../config/fleet.js';
import type { NodeState } from '../node/node-state.js';
import type { LiveMode } from '../installer/facts.js';
import { bootedWithUefi } from '../installer/facts.js';
import { describeProgress, type InstallProgress } from '../installer/progress.js';
import { carryOut, decideFrom, readInstallFacts, type InstallOutcome } from '../installer/session.js';
import type { RunTool } from '../installer/run-tool.js';

export const INSTALL_DEFAULTS: InstallConfig = { mode: 'auto', wipe: 'blank-only' };

export interface InstallerView {
  progress?: string;
  headline?: { word: string; sentence: string };
}

export interface InstallerModeDeps {
  live: LiveMode;
  /** The stick's fleet config (the first that exists). */
  fleetCandidates: readonly string[];
  state: NodeState;
  log: Logger;
  version: string;
  run: RunTool;
  /** What the banner shows besides the state (set as the install goes). */
  view: InstallerView;
  /** Reboot the machine (systemctl reboot). */
  reboot(): Promise<void>;
  /** How long the outcome stays on the screen before the reboot. */
  outcomeMs?: number;
  /** How long to wait for the stick's EFI partition (with the fleet config) to be mounted. */
  espWaitMs?: number;
}

async function installSettings(d: InstallerModeDeps): Promise<InstallConfig> {
  const deadline = Date.now() + (d.espWaitMs ?? 30_000);
  for (;;) {
    for (const file of d.fleetCandidates) {
      try {
        const { config } = await loadFleetConfig(file);
        d.log.info({ file, install: config.install }, 'installer: settings from the fleet config');
        return config.install;
      } catch (err) {
        if ((err as { code?: string }).code !== 'E_FLEET_READ') {
          d.log.warn(
            { file, err: errorMessage(err) },
            'installer: the fleet config is not valid; using the install defaults',
          );
          return INSTALL_DEFAULTS;
        }
      }
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  d.log.warn('installer: no fleet config on the stick; using the install defaults');
  return INSTALL_DEFAULTS;
}

/** Runs the installer; resolves with what happened (run-live: the caller goes on as a node running from the stick). */
export async function runInstallerMode(
  d: InstallerModeDeps,
): Promise<InstallOutcome | { kind: 'failed'; reason: string }> {
  const { log, state, view } = d;
  log.info(
    { root: d.live.root, reason: d.live.reason },
    'installer mode: booted from a stick; nothing is written to it',
  );
  state.set({ state: 'installing', detail: 'looking at the disks' });
  // The banner (and health) every 3 s while bytes move; the log at each phase's start and end.
  let lastDraw = 0;
  let lastPhase = '';
  const onProgress = (p: InstallProgress) => {
    const now = Date.now();
    const newPhase = p.phase !== lastPhase;
    const finished = p.total > 0 && p.done === p.total;
    if (!newPhase && !finished && now - lastDraw < 3000) return;
    lastDraw = now;
    lastPhase = p.phase;
    view.progress = describeProgress(p);
    state.set({ state: 'installing', detail: view.progress, step: `install-${p.phase}` });
    if (newPhase || finished) log.info({ phase: p.phase }, `install: ${view.progress}`);
  };
  let outcome: InstallOutcome | { kind: 'failed'; reason: string };
  try {
    const settings = await installSettings(d);
    const facts = await readInstallFacts(d.run, d.live.root);
    const decision = decideFrom(settings, facts);
    log.info({ decision: decision.action }, `installer: ${decision.action}`);
    outcome = await carryOut(decision, facts, {
      run: d.run,
      log,
      version: d.version,
      uefi: await bootedWithUefi(),
      onProgress,
    });
  } catch (err) {
    outcome = { kind: 'failed', reason: errorMessage(err) };
  }
  delete view.progress;
  switch (outcome.kind) {
    case 'installed': {
      const r = outcome.result;
      const sentence = `installed: rebooting into the internal disk (${outcome.target.path}, ${Math.round(r.bytes / 1e6)} MB at ${(r.bytes / r.writeMs / 1e3).toFixed(1)} MB/s, verified)`;
      view.headline = { word: 'installed', sentence };
      log.info(
        {
          target: outcome.target.path,
          bytes: r.bytes,
          writeMs: Math.round(r.writeMs),
          verifyMs: Math.round(r.verifyMs),
        },
        sentence,
      );
      state.set({ state: 'installing', detail: sentence });
      break;
    }
    case 'boot-installed': {
      const sentence = `already installed on ${outcome.target.path}: the disk is left alone; rebooting into it`;
      view.headline = { word: 'installed', sentence };
      log.info({ target: outcome.target.path }, sentence);
      state.set({ state: 'installing', detail: sentence });
      break;
    }
    case 'refused':
    case 'failed': {
      const sentence = `not installed: ${outcome.reason}`;
      view.headline = { word: outcome.kind === 'refused' ? 'not installed' : 'install failed', sentence };
      log.error({ reason: outcome.reason }, sentence);
      state.set({ state: 'install-refused', detail: sentence });
      return outcome;
    }
    case 'run-live':
      log.info(
        { reason: outcome.reason },
        `installer: not installing (${outcome.reason}); running from the stick, in RAM`,
      );
      return outcome;
  }
  await new Promise((r) => setTimeout(r, d.outcomeMs ?? 5000));
  log.info('installer: rebooting');
  await d.reboot();
  return outcome;
}
