/** Running discovery nodes in a lab and asking them about their peer table. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newFleetConfig, renderFleetConfig } from '../../src/config/fleet.js';
import type { Peer, RejectCounters } from '../../src/discovery/peer-table.js';
import type { PacketCounters } from '../../src/discovery/mdns-channel.js';
import { waitFor, type NetnsLab, type Spawned } from './harness.js';

export const nodeScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'discovery-node.js');

export interface TableSnapshot {
  peers: Peer[];
  counters: RejectCounters;
  packets: PacketCounters;
  /** Heartbeats this node sent, and how many failed. */
  probes: { sent: number; failed: number };
  keptAfterExpiry: number;
}

/** A temp dir with a fresh fleet config; returns its path, the dir and the config. */
export function makeFleet(name = 'lab'): { file: string; dir: string; config: ReturnType<typeof newFleetConfig> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'nucmesh-disc-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const config = newFleetConfig(name);
  const file = path.join(dir, 'fleet.yaml');
  writeFileSync(file, renderFleetConfig(config), { mode: 0o600 });
  return { file, dir, config };
}

export function startNode(
  lab: NetnsLab,
  host: string,
  fleetFile: string,
  dataDir: string,
  nodeId: string,
  ifaces: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Spawned {
  return lab.spawn(host, process.execPath, [nodeScript, fleetFile, dataDir, nodeId, `nuc-${nodeId}`, ...ifaces], env);
}

/** Ask a node for its peer table (it prints one JSON line). */
export async function tableOf(node: Spawned): Promise<TableSnapshot> {
  const before = node.stdout().length;
  node.send('peers');
  return waitFor(
    'the peer table',
    () => {
      const line = node
        .stdout()
        .slice(before)
        .split('\n')
        .find((l) => l.startsWith('{"peers"'));
      return line ? (JSON.parse(line) as TableSnapshot) : undefined;
    },
    5000,
    20,
  );
}

/** Wait until a node has logged a message matching `re` (after `since` log lines) and return that line. */
export function logged(node: Spawned, re: RegExp, timeoutMs: number, since = 0): Promise<Record<string, unknown>> {
  return waitFor(
    `log line ${re} in ${JSON.stringify(node.stdout().slice(-300))}`,
    () =>
      node
        .logs()
        .slice(since)
        .find((l) => re.test(String(l['msg']))),
    timeoutMs,
    20,
  );
}
