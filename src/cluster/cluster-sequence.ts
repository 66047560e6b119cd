/**
 * The cluster part of the boot sequence: from a booted, visible node to a Ready member of
 * exactly one k3s cluster. Runs after the boot steps (src/firstboot/boot-steps.ts) once the fleet
 * config is loaded and discovery advertises the node; progress goes into the same progress.json.
 *
 *   formation  check-k3s           k3s is installed (else `k3s-missing`, before any election)
 *              decide              seed a new cluster or join the visible one (the election)
 *   join       obtain-join-secret  role and token from a server of the cluster (joiners)
 *   k3s        configure-k3s       nucmesh's drop-in in config.yaml.d for the role
 *              start-k3s           k3s.service / k3s-agent.service (or a supervised child)
 *              wait-ready          /readyz and the Node's Ready condition
 *   node       label               the hardware labels on the Node
 *              ready               advertise server/agent, tell systemd READY=1
 */
import type { AnyStep } from '../node/steps.js';
import type { ClusterContext } from './cluster-context.js';
import { checkK3sStep } from './steps/check-k3s.js';
import { configureK3sStep } from './steps/configure-k3s.js';
import { decideStep } from './steps/decide.js';
import { labelStep } from './steps/label.js';
import { obtainJoinSecretStep } from './steps/obtain-join-secret.js';
import { readyStep } from './steps/ready.js';
import { startK3sStep } from './steps/start-k3s.js';
import { waitReadyStep } from './steps/wait-ready.js';

export interface ClusterPhase {
  phase: string;
  purpose: string;
  steps: readonly AnyStep<ClusterContext>[];
}

export const CLUSTER_SEQUENCE: readonly ClusterPhase[] = [
  { phase: 'formation', purpose: 'seed a new cluster or join the one in sight', steps: [checkK3sStep, decideStep] },
  { phase: 'join', purpose: 'a role and a token from the cluster', steps: [obtainJoinSecretStep] },
  {
    phase: 'k3s',
    purpose: 'k3s configured, started and Ready',
    steps: [configureK3sStep, startK3sStep, waitReadyStep],
  },
  { phase: 'node', purpose: 'labelled and advertised as a member', steps: [labelStep, readyStep] },
];

export const clusterSteps: readonly AnyStep<ClusterContext>[] = CLUSTER_SEQUENCE.flatMap((p) => p.steps);

export function clusterPhaseOf(step: string): string | undefined {
  return CLUSTER_SEQUENCE.find((p) => p.steps.some((s) => s.name === step))?.phase;
}
