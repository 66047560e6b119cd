/**
 * The cluster part of the node's life, on a running discovery service: the cluster steps
 * (src/cluster/cluster-sequence.ts) run with persisted progress and are retried with the agent's
 * pauses until the node is a member; a missing k3s shows as `k3s-missing`, any other failure as
 * `failed`, each with the reason. Once a member, the node watches for a second cluster of the
 * fleet in sight (`conflict`).
 */
import { isNucmeshError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { NodeState } from '../node/node-state.js';
import { runSteps } from '../node/steps.js';
import type { ClusterContext } from '../cluster/cluster-context.js';
import { clusterPhaseOf, clusterSteps } from '../cluster/cluster-sequence.js';
import { watchConflict } from '../cluster/conflict-watch.js';
import { K3S_API_PORT } from '../cluster/steps/ready.js';
import { retryUntilDone } from './retry.js';
import { crashIfAsked } from './fault-injection.js';

export interface ClusterRun {
  /** Resolves once the node is a member (or the run was stopped first). */
  member: Promise<boolean>;
  stop(): void;
}

export function runCluster(
  ctx: ClusterContext,
  onPeersChange: (cb: () => void) => () => void,
  log: Logger,
  state: NodeState,
): ClusterRun {
  let unwatch: (() => void) | undefined;
  const events = {
    onStart: (step: string, attempt: number) => {
      const s = state.current;
      const name = s.state === 'booting' || s.state === 'failed' || s.state === 'k3s-missing' ? 'forming' : s.state;
      state.set({ state: name, clusterId: s.clusterId, step });
      log.info({ step, phase: clusterPhaseOf(step), attempt }, `cluster step ${step}: start`);
      crashIfAsked(step);
    },
    onSkip: (step: string, reason: string) =>
      log.info({ step, phase: clusterPhaseOf(step) }, `cluster step ${step}: ${reason}`),
    onDone: (step: string, ms: number) =>
      log.info({ step, phase: clusterPhaseOf(step), ms }, `cluster step ${step}: done`),
    onFail: (step: string, err: unknown) =>
      log.error({ step, phase: clusterPhaseOf(step), err: errorMessage(err) }, `cluster step ${step}: failed`),
  };
  const member = (async () => {
    const done = await retryUntilDone(
      async () => {
        await runSteps(ctx.dataDir, clusterSteps, ctx, events);
        return true;
      },
      {
        signal: ctx.signal,
        onFailure: (err, attempt, pause) => {
          const cause = (err as { cause?: unknown }).cause ?? err;
          const missing = isNucmeshError(cause) && cause.code === 'E_K3S_MISSING';
          const retry = `Trying again in ${Math.round(pause / 1000)} s (attempt ${attempt})`;
          const detail = `${missing ? '' : 'cluster: '}${errorMessage(cause)}. ${retry}`;
          state.set({ state: missing ? 'k3s-missing' : 'failed', clusterId: state.current.clusterId, detail });
        },
      },
    );
    if (!done || !ctx.record || !ctx.role) return false;
    const member =
      ctx.role === 'agent'
        ? { state: 'agent' as const, clusterId: ctx.record.clusterId }
        : { state: 'server' as const, clusterId: ctx.record.clusterId, k3sPort: K3S_API_PORT };
    unwatch = watchConflict({ state, net: ctx.net, onChange: onPeersChange, member, log });
    return true;
  })();
  return {
    member,
    stop() {
      unwatch?.();
    },
  };
}
