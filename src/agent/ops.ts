/**
 * The ops routes' data (api/deps.ts OpsDeps) from the agent's parts as they are today: the boot
 * context (inventory, identity), the node state, the persisted boot progress, discovery's peer
 * table, the kubeconfig, the logs. What the cluster side knows (role, k3s version, rejoin) comes
 * in through `cluster` hooks (agent.ts); without them role is derived from the state, the k3s
 * version is null and rejoin is refused with a reason.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { LogRing } from '../log.js';
import { NucmeshError } from '../errors.js';
import type { FleetConfig } from '../config/fleet.js';
import type { NodeState } from '../node/node-state.js';
import type { BundleFile, OpsDeps } from '../api/app.js';
import type { BootStepView, InventoryView, NodeView, PeersView } from '../api/ops-schemas.js';
import type { DiscoveryService } from '../discovery/service.js';
import { bootSteps, phaseOf, type BootContext } from '../firstboot/boot-steps.js';
import { readProgress } from '../node/steps.js';
import { captureTo, detectInventory } from '../firstboot/hardware/index.js';
import { bannerAddresses } from '../firstboot/console/addresses.js';
import { PACKAGE_VERSION } from '../version.js';
import { DEFAULT_KUBECONFIG } from './cluster-view.js';
import { clusterViewReader } from './cluster-view-worker.js';
import { createLogSource } from './logs-source.js';
import { commandFile, copiedDir, jsonFile, logFile, readYamlIfThere, redactedYamlFile } from './support-files.js';

export interface OpsParts {
  ctx: BootContext;
  state: NodeState;
  config(): Readonly<FleetConfig> | undefined;
  discovery(): DiscoveryService | undefined;
  logRing?: LogRing;
  /** Where the cluster side says more (issue of the k3s driver); each optional. */
  cluster?: {
    role?(): 'server' | 'agent' | null;
    k3sVersion?(): string | null;
    kubeconfig?: string;
    rejoin?(clusterId?: string): Promise<void>;
    leave?(): Promise<void>;
  };
  /** Reboot the machine (default: systemctl reboot, only with --apply-host). */
  reboot?(): Promise<void>;
  startedAt?: number;
}

async function osName(): Promise<string | null> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? null;
}

function roleFromState(state: string): 'server' | 'agent' | null {
  return state === 'server' || state === 'agent' ? state : null;
}

export function createOps(p: OpsParts): OpsDeps {
  const startedAt = p.startedAt ?? Date.now();
  let osPretty: string | null = null;
  void osName().then((n) => (osPretty = n));
  const logs = createLogSource(p.logRing);
  const clusterView = clusterViewReader();
  const inventory = (): InventoryView | undefined => p.ctx.inventory as InventoryView | undefined;
  // The addresses, read at most every 2 s (getifaddrs costs more than the rest of GET /v1/node).
  let addresses: { at: number; list: NodeView['addresses'] } = { at: -Infinity, list: [] };
  const currentAddresses = (): NodeView['addresses'] => {
    if (Date.now() - addresses.at > 2000) addresses = { at: Date.now(), list: bannerAddresses(os.networkInterfaces()) };
    return addresses.list;
  };

  const node = (): NodeView => {
    const s = p.state.current;
    const inv = p.ctx.inventory;
    return {
      nodeId: p.ctx.identity?.nodeId ?? '',
      hostname: p.ctx.identity?.hostname ?? os.hostname(),
      model: inv?.platform.model ?? inv?.system.product ?? null,
      serial: inv?.system.serial ?? inv?.board.serial ?? null,
      state: s.state,
      ...(s.detail !== undefined ? { detail: s.detail } : {}),
      ...(s.step !== undefined ? { step: s.step } : {}),
      role: p.cluster?.role?.() ?? roleFromState(s.state),
      clusterId: s.clusterId,
      uptimeSeconds: (Date.now() - startedAt) / 1000,
      addresses: currentAddresses(),
      versions: {
        nucmesh: PACKAGE_VERSION,
        k3s: p.cluster?.k3sVersion?.() ?? null,
        kernel: inv?.kernel ?? os.release(),
        os: inv?.os.name ?? osPretty,
        node: process.version,
      },
    };
  };

  const peersView = (): PeersView => {
    const d = p.discovery();
    if (!d) return { discovering: false, peers: [], rejected: {} };
    return {
      discovering: true,
      peers: d.table.list().map((x) => ({
        nodeId: x.nodeId,
        instance: x.instance,
        state: x.state,
        clusterId: x.clusterId,
        generation: x.generation,
        port: x.port,
        addresses: x.addresses.map((a) => a.address),
      })),
      rejected: { ...d.table.counters },
    };
  };

  const steps = async (): Promise<BootStepView[]> => {
    const progress = await readProgress(p.ctx.dataDir).catch(() => ({ steps: {} as Record<string, never> }));
    return bootSteps.map((s): BootStepView => {
      const r = progress.steps[s.name];
      const phase = phaseOf(s.name);
      const base = { name: s.name, ...(phase !== undefined ? { phase } : {}) };
      if (!r) return { ...base, status: 'pending', attempts: 0 };
      return {
        ...base,
        status: r.status,
        attempts: r.attempts,
        ...(r.startedAt !== undefined ? { startedAt: r.startedAt } : {}),
        ...(r.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
        ...(r.ms !== undefined ? { durationMs: r.ms } : {}),
        ...(r.reason !== undefined ? { reason: r.reason } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
      };
    });
  };

  const bundleFiles = (): BundleFile[] => {
    const from = p.ctx.options.hardwareFrom;
    return [
      jsonFile('node.json', node),
      jsonFile('inventory.json', () => inventory() ?? null),
      from !== undefined
        ? copiedDir('capture', from)
        : { name: 'capture', write: async (dir) => void (await captureTo(dir)) },
      jsonFile('boot-steps.json', steps),
      jsonFile('peers.json', peersView),
      redactedYamlFile('fleet.yaml', () => p.config()),
      redactedYamlFile('k3s-config.yaml', () => readYamlIfThere('/etc/rancher/k3s/config.yaml')),
      logFile('journal/nucmesh.txt', 'nucmesh', logs),
      logFile('journal/k3s.txt', 'k3s', logs),
      logFile('journal/k3s-agent.txt', 'k3s-agent', logs),
      commandFile('dmesg.txt', 'dmesg', ['--time-format', 'iso']),
      commandFile('ip-addr.txt', 'ip', ['addr']),
      commandFile('ip-route.txt', 'ip', ['route']),
      commandFile('disk-usage.txt', 'df', ['-h']),
    ];
  };

  return {
    node,
    inventory,
    async refreshInventory() {
      const from = p.ctx.options.hardwareFrom;
      const inv = await detectInventory(from !== undefined ? { from } : {});
      p.ctx.inventory = inv;
      return inv as InventoryView;
    },
    peersView,
    bootSteps: steps,
    cluster: () =>
      clusterView.read({
        kubeconfig: p.cluster?.kubeconfig ?? DEFAULT_KUBECONFIG,
        clusterId: p.state.current.clusterId,
      }),
    logs,
    bundleFiles,
    actions: {
      async reboot() {
        if (p.reboot) return p.reboot();
        if (!p.ctx.options.applyHost || !existsSync('/run/systemd/system'))
          throw new NucmeshError('E_UNAVAILABLE', 'reboot: not the node itself (no --apply-host, or no systemd)');
        spawn('systemctl', ['reboot'], { stdio: 'ignore', detached: true }).unref();
      },
      async rejoin(clusterId) {
        if (p.cluster?.rejoin) return p.cluster.rejoin(clusterId);
        throw new NucmeshError('E_UNAVAILABLE', 'rejoin: the cluster side does not run on this node yet');
      },
      async leave() {
        if (p.cluster?.leave) return p.cluster.leave();
        throw new NucmeshError('E_LEAVE_REFUSED', 'the node is no cluster member (the cluster side does not run)');
      },
    },
  };
}
