/**
 * The seed election in a running node: an ElectionRunner (src/cluster/election-runner.ts) fed
 * with the verified peers, ticked every 250 ms and at every peer-table change, its advert (state,
 * cluster, supported seed) set on the node state (so discovery advertises it) and re-sent every
 * 2 s while it runs (a lost mDNS update would leave peers with a stale view). `settle` resolves at
 * the first seed or join outcome; the runner keeps running, without touching the state, until
 * `done()`, so a join whose cluster vanishes before it is up is seen (`revoked`).
 */
import type { Logger } from '../log.js';
import { serverCount, type FleetConfig } from '../config/fleet.js';
import type { NodeState } from '../node/node-state.js';
import { ElectionRunner, ELECTION_REANNOUNCE_MS, type ElectionOutcome } from '../cluster/election-runner.js';
import { newClusterId } from '../cluster/cluster-record.js';
import { describeConflict } from '../cluster/cluster-view.js';
import type { ClusterNetwork, ElectionPort, Formation } from '../cluster/ports.js';

export interface ElectionWiring {
  config: Readonly<FleetConfig>;
  nodeId: string;
  net: ClusterNetwork;
  onPeersChange(cb: () => void): () => void;
  state: NodeState;
  /** Sends the advert again, unchanged. */
  reannounce(): void;
  log: Logger;
  tickMs?: number;
}

export function electionPort(w: ElectionWiring): ElectionPort {
  let stopRunner: (() => void) | undefined;
  const revoked = new Set<string>();
  return {
    settle(known, signal) {
      stopRunner?.();
      return new Promise<Formation>((resolve, reject) => {
        let settled = false;
        const onOutcome = (o: ElectionOutcome): void => {
          w.log.info({ outcome: o }, `election: ${o.kind}${'clusterId' in o ? ` ${o.clusterId}` : ''}`);
          if (o.kind === 'revoked') revoked.add(o.clusterId);
          if (o.kind === 'conflict') {
            const detail = describeConflict(o.clusters);
            w.state.set({ state: 'conflict', clusterId: runner.clusterId, detail, step: 'decide' });
          }
          if (settled) return;
          if (o.kind === 'seed') finish({ kind: 'seed', clusterId: o.clusterId });
          if (o.kind === 'join') finish({ kind: 'join', clusterId: o.clusterId, via: o.via });
        };
        const runner = new ElectionRunner({
          self: { nodeId: w.nodeId, clusterId: known.committed ? known.clusterId : '', committed: known.committed },
          config: {
            preferredServers: w.config.preferredServers,
            ...(w.config.expectedNodes !== undefined ? { expectedNodes: w.config.expectedNodes } : {}),
            formingSeconds: w.config.discovery.formingSeconds,
            claimHoldSeconds: w.config.discovery.claimHoldSeconds,
            servers: serverCount(w.config),
          },
          now: () => performance.now(),
          peers: () => w.net.peers(),
          newClusterId: () => newClusterId(w.config.name),
          onOutcome,
        });
        const advertise = (): void => {
          if (settled) return;
          const a = runner.advert();
          if (a.state === 'conflict') return;
          w.state.set({
            state: a.state,
            clusterId: a.clusterId,
            step: 'decide',
            ...(a.supports !== undefined ? { supports: a.supports } : {}),
            ...(a.supportsIndirect ? { supportsIndirect: true } : {}),
          });
        };
        const tick = (): void => {
          const d = runner.tick();
          // A seed committed before a restart gets no new outcome: its decision says so.
          if (!settled && d.kind === 'seed') finish({ kind: 'seed', clusterId: runner.clusterId });
          advertise();
        };
        const timer = setInterval(tick, w.tickMs ?? 250);
        const again = setInterval(() => !settled && w.reannounce(), ELECTION_REANNOUNCE_MS);
        const unsubscribe = w.onPeersChange(tick);
        const onAbort = (): void => {
          stopRunner?.();
          reject(signal.reason instanceof Error ? signal.reason : new Error('stopped'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        stopRunner = () => {
          clearInterval(timer);
          clearInterval(again);
          unsubscribe();
          signal.removeEventListener('abort', onAbort);
          stopRunner = undefined;
        };
        function finish(f: Formation): void {
          settled = true;
          resolve(f);
        }
        tick();
      });
    },
    revoked: (clusterId) => revoked.has(clusterId),
    done() {
      stopRunner?.();
    },
  };
}
