/**
 * The real control plane in one call: PKI, etcd, kube-apiserver, kube-controller-manager (leader
 * elected), in a fresh folder; hollow Nodes join it. `stop()` stops every part by PID (nodes
 * first, etcd last) and removes the folder unless told to keep it. In a network namespace
 * without a default route, set `advertiseAddress` (kube-apiserver exits otherwise).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApiserver, type RunningApiserver } from './apiserver.js';
import { startControllerManager, type RunningControllerManager } from './controller-manager.js';
import { startEtcd, type RunningEtcd } from './etcd.js';
import { startHollowNode, type RunningHollowNode } from './hollow-node.js';
import { makeControlPlanePki, type ControlPlanePki } from './pki.js';
import { stopParts, type RunningPart } from './processes.js';

export interface ControlPlaneOptions {
  /** Parent of the run's folder (default: the OS temp folder). */
  parentDir?: string;
  nodeMonitorGracePeriod?: string;
  /** Address every part listens on (default 127.0.0.1). */
  host?: string;
  /** The apiserver's advertised address (see ApiserverOptions.advertiseAddress). */
  advertiseAddress?: string;
  /** Run every part in this network namespace (the test's own client must reach HOST from here). */
  netns?: string;
  apiserverArgs?: string[];
  controllerManagerArgs?: string[];
}

export interface ControlPlane {
  dir: string;
  pki: ControlPlanePki;
  etcd: RunningEtcd;
  apiserver: RunningApiserver;
  controllerManager: RunningControllerManager;
  nodes: RunningHollowNode[];
  addHollowNode: (name: string, labels?: Record<string, string>) => Promise<RunningHollowNode>;
  /** Every running part, dependents first. */
  parts: () => RunningPart[];
  stop: (o?: { keepDir?: boolean }) => Promise<void>;
}

export async function startControlPlane(o: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(path.join(o.parentDir ?? tmpdir(), 'nucmesh-k8s-'));
  const started: RunningPart[] = [];
  const stopStarted = async (): Promise<void> => stopParts([...started].reverse());
  try {
    const where = { ...(o.host ? { host: o.host } : {}), ...(o.netns ? { netns: o.netns } : {}) };
    const pki = makeControlPlanePki(path.join(dir, 'pki'), o.host ? [o.host] : []);
    const etcd = await startEtcd({ dir, ...where });
    started.push(etcd.part);
    const apiserver = await startApiserver({
      dir,
      pki,
      etcdUrl: etcd.clientUrl,
      ...where,
      ...(o.advertiseAddress ? { advertiseAddress: o.advertiseAddress } : {}),
      ...(o.apiserverArgs ? { extraArgs: o.apiserverArgs } : {}),
    });
    started.push(apiserver.part);
    const controllerManager = await startControllerManager({
      dir,
      pki,
      endpoint: apiserver.endpoint,
      admin: apiserver.admin,
      ...where,
      ...(o.nodeMonitorGracePeriod ? { nodeMonitorGracePeriod: o.nodeMonitorGracePeriod } : {}),
      ...(o.controllerManagerArgs ? { extraArgs: o.controllerManagerArgs } : {}),
    });
    started.push(controllerManager.part);
    const nodes: RunningHollowNode[] = [];
    return {
      dir,
      pki,
      etcd,
      apiserver,
      controllerManager,
      nodes,
      addHollowNode: async (name, labels) => {
        const node = await startHollowNode({
          dir,
          name,
          pki,
          endpoint: apiserver.endpoint,
          ...(labels ? { labels } : {}),
        });
        nodes.push(node);
        started.push(node.part);
        return node;
      },
      parts: () => [...started].reverse().filter((part) => part.exit() === undefined),
      stop: async ({ keepDir = false } = {}) => {
        await stopStarted();
        if (!keepDir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    // The error carries the failing part's log tail.
    await stopStarted();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
