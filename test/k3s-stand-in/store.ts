/**
 * The stand-in's datastore: the Node objects and the etcd member list, the two things of a cluster's
 * state nucmesh reads. PLACEHOLDER mode only (without K3S_STANDIN_K8S_BINS; with it, real etcd and
 * kube-apiserver hold them, real-server.ts): kept in memory and in
 * `<data-dir>/server/db/stand-in.json` (under server/db, so wiping server/db resets it, as it does etcd).
 *
 * Sharing among servers: the first server (no --server) owns the truth; a server that joined forwards
 * every write (Node registration, member add, learner caught up) to the server it joined and copies the
 * whole state from it every second, so every server answers reads from its own copy.
 *
 * Rules taken from k3s and Kubernetes:
 * - etcd allows one learner at a time: MemberAddAsLearner fails with "etcdserver: too many learner members
 *   in cluster" (rpctypes.ErrTooManyLearners) while one is not yet promoted.
 * - k3s' leader promotes a learner that has caught up (pkg/etcd/etcd.go manageLearners, every 15 s; the
 *   stand-in checks every K3S_STANDIN_PROMOTE_MS, default 2000) and removes one that made no progress for
 *   5 minutes (learnerMaxStallTime).
 * - A Node is NotReady until its network is up (here: K3S_STANDIN_NODE_READY_MS after registration,
 *   default 1000) and Unknown once its kubelet has not posted status for 40 s (node-monitor-grace-period).
 * - node-label is merged into the Node at every start, never removed (pkg/agent/run.go).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const TOO_MANY_LEARNERS = 'etcdserver: too many learner members in cluster';
export const LEARNER_STALL_MS = 5 * 60_000;
export const NODE_GRACE_MS = 40_000;

export interface NodeRecord {
  name: string;
  role: 'server' | 'agent';
  labels: Record<string, string>;
  internalIp: string;
  /** sha256 of the node password (k3s keeps it in the Secret <node>.node-password.k3s). */
  passwordHash: string;
  registeredAt: number;
  heartbeatAt: number;
}

export interface Member {
  name: string;
  peerUrl: string;
  isLearner: boolean;
  caughtUp: boolean;
  addedAt: number;
}

export interface State {
  nodes: NodeRecord[];
  members: Member[];
}

export class Store {
  nodes = new Map<string, NodeRecord>();
  members = new Map<string, Member>();
  readonly #file: string;

  constructor(serverDir: string) {
    this.#file = path.join(serverDir, 'db', 'stand-in.json');
    try {
      this.replace(JSON.parse(readFileSync(this.#file, 'utf8')) as State);
    } catch {
      // no db yet: a new server
    }
  }

  get exists(): boolean {
    return this.nodes.size > 0 || this.members.size > 0;
  }

  state(): State {
    return { nodes: [...this.nodes.values()], members: [...this.members.values()] };
  }

  replace(s: State): void {
    this.nodes = new Map(s.nodes.map((n) => [n.name, n]));
    this.members = new Map(s.members.map((m) => [m.name, m]));
  }

  save(): void {
    mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state()), { mode: 0o600 });
    renameSync(tmp, this.#file);
  }

  /** Registration or heartbeat; labels merge (never removed). */
  upsertNode(n: Omit<NodeRecord, 'registeredAt' | 'heartbeatAt'>, now: number): NodeRecord {
    const old = this.nodes.get(n.name);
    const rec: NodeRecord = {
      ...n,
      labels: { ...(old?.labels ?? {}), ...n.labels },
      registeredAt: old?.registeredAt ?? now,
      heartbeatAt: now,
    };
    this.nodes.set(n.name, rec);
    this.save();
    return rec;
  }

  /** MemberAddAsLearner; throws TOO_MANY_LEARNERS while another learner is there. */
  addLearner(name: string, peerUrl: string, now: number): Member {
    const existing = this.members.get(name);
    if (existing) return existing;
    if ([...this.members.values()].some((m) => m.isLearner)) throw new Error(TOO_MANY_LEARNERS);
    const m: Member = { name, peerUrl, isLearner: true, caughtUp: false, addedAt: now };
    this.members.set(name, m);
    this.save();
    return m;
  }

  addVoter(name: string, peerUrl: string, now: number): void {
    if (this.members.has(name)) return;
    this.members.set(name, { name, peerUrl, isLearner: false, caughtUp: true, addedAt: now });
    this.save();
  }

  caughtUp(name: string): boolean {
    const m = this.members.get(name);
    if (!m) return false;
    m.caughtUp = true;
    this.save();
    return true;
  }

  /** One manageLearners pass: promote the caught-up learners, drop the stalled ones. */
  manageLearners(now: number, onChange: (what: string) => void): void {
    for (const m of this.members.values()) {
      if (!m.isLearner) continue;
      if (m.caughtUp) {
        m.isLearner = false;
        onChange(`Promoted learner etcd member ${m.name}`);
      } else if (now - m.addedAt > LEARNER_STALL_MS) {
        this.members.delete(m.name);
        onChange(`Removed learner etcd member ${m.name}: no progress for ${LEARNER_STALL_MS / 60_000} minutes`);
      }
    }
    this.save();
  }
}

/** The Node object the API serves for a record (core/v1 Node, the fields nucmesh and kubectl read). */
export function nodeObject(n: NodeRecord, now: number, readyDelayMs: number): object {
  const ready = readyCondition(n, now, readyDelayMs);
  const roles: Record<string, string> =
    n.role === 'server'
      ? {
          'node-role.kubernetes.io/control-plane': 'true',
          'node-role.kubernetes.io/master': 'true',
          'node-role.kubernetes.io/etcd': 'true',
        }
      : {};
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'k3s',
        ...roles,
        ...n.labels,
      },
      annotations: { 'k3s.io/internal-ip': n.internalIp, 'nucmesh.io/k3s-stand-in': 'true' },
      creationTimestamp: new Date(n.registeredAt).toISOString(),
    },
    spec: {},
    status: {
      conditions: [ready],
      addresses: [
        { type: 'InternalIP', address: n.internalIp },
        { type: 'Hostname', address: n.name },
      ],
      nodeInfo: { kubeletVersion: 'v1.31.4+k3s1', containerRuntimeVersion: 'stand-in://0' },
    },
  };
}

function readyCondition(n: NodeRecord, now: number, readyDelayMs: number): object {
  const base = {
    type: 'Ready',
    lastHeartbeatTime: new Date(n.heartbeatAt).toISOString(),
    lastTransitionTime: new Date(n.registeredAt).toISOString(),
  };
  if (now - n.heartbeatAt > NODE_GRACE_MS)
    return { ...base, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
  if (now - n.registeredAt < readyDelayMs)
    return {
      ...base,
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady',
    };
  return { ...base, status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' };
}
