/**
 * The fleet-wide lock of server replacement: a coordination.k8s.io/v1 Lease
 * (`kube-system/nucmesh-server-replacement`). A server holds it while it replaces a lost server,
 * so only one replacement runs at a time whichever server notices first; writes carry the
 * resourceVersion read, so of two servers racing for a free Lease one gets 409 and backs off
 * (what client-go's leader election does). Every replacement is appended to the Lease's
 * `nucmesh.io/replacements` annotation (the last 20), the history ops (and the tests) read.
 */
import { LABEL_PREFIX } from '../node/wire.js';
import { kubeStatusOf, type KubeApi } from './kube-api.js';

export const REPLACEMENT_LEASE = { namespace: 'kube-system', name: 'nucmesh-server-replacement' } as const;
export const HISTORY_ANNOTATION = `${LABEL_PREFIX}replacements`;
const HISTORY_KEPT = 20;
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${REPLACEMENT_LEASE.namespace}/leases`;
const LEASE_PATH = `${LEASES}/${REPLACEMENT_LEASE.name}`;

export interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface ReplacementRecord {
  /** The lost server's Node (absent when a missing server was filled). */
  dead?: string;
  promoted: string;
  by: string;
  at: string;
  outcome: 'server' | 'gave-up';
}

/** MicroTime as the API server parses it (RFC 3339 with 6 fractional digits). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Whether `holder` may take the Lease at `now`: nobody holds it, the holder's time ran out, or it is ours. */
export function leaseFree(lease: LeaseObject, holder: string, now: number): boolean {
  const s = lease.spec ?? {};
  if (!s.holderIdentity || s.holderIdentity === holder) return true;
  const renewed = Date.parse(s.renewTime ?? s.acquireTime ?? '');
  return Number.isNaN(renewed) || renewed + (s.leaseDurationSeconds ?? 0) * 1000 < now;
}

export function historyOf(lease: LeaseObject | undefined): ReplacementRecord[] {
  try {
    const parsed: unknown = JSON.parse(lease?.metadata?.annotations?.[HISTORY_ANNOTATION] ?? '[]');
    return Array.isArray(parsed) ? (parsed as ReplacementRecord[]) : [];
  } catch {
    return [];
  }
}

export interface HeldLease {
  renew(): Promise<boolean>;
  /** Gives the Lease up, adding `record` to its history. */
  release(record?: ReplacementRecord): Promise<void>;
}

/** Takes the Lease for `holder` for `durationS`, or undefined when another holds it or won the race. */
export async function acquireReplacementLease(
  api: KubeApi,
  holder: string,
  durationS: number,
  now: () => number = Date.now,
): Promise<HeldLease | undefined> {
  let lease = await api.get<LeaseObject>(LEASE_PATH);
  const stamp = microTime(now());
  if (lease === undefined) {
    const created = await write('POST', LEASES, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: REPLACEMENT_LEASE.name, annotations: { [HISTORY_ANNOTATION]: '[]' } },
      spec: { holderIdentity: holder, leaseDurationSeconds: durationS, acquireTime: stamp, renewTime: stamp },
    });
    if (!created) return undefined;
    lease = created;
  } else {
    if (!leaseFree(lease, holder, now())) return undefined;
    const s = lease.spec ?? {};
    const taken = await write('PUT', LEASE_PATH, {
      ...lease,
      spec: {
        ...s,
        holderIdentity: holder,
        leaseDurationSeconds: durationS,
        acquireTime: stamp,
        renewTime: stamp,
        leaseTransitions: (s.leaseTransitions ?? 0) + (s.holderIdentity === holder ? 0 : 1),
      },
    });
    if (!taken) return undefined;
    lease = taken;
  }
  let held: LeaseObject = lease;

  /** A write that answers undefined when another writer came first (409) or the Lease went (404). */
  async function write(method: 'POST' | 'PUT', path: string, body: LeaseObject): Promise<LeaseObject | undefined> {
    try {
      return await api.send<LeaseObject>(method, path, body);
    } catch (e) {
      if (kubeStatusOf(e) === 409) return undefined;
      throw e;
    }
  }

  return {
    async renew() {
      const next = await write('PUT', LEASE_PATH, { ...held, spec: { ...held.spec, renewTime: microTime(now()) } });
      if (next) held = next;
      return next !== undefined;
    },
    async release(record) {
      // Read again: our renewals changed the resourceVersion, and the history must not lose entries.
      const current = (await api.get<LeaseObject>(LEASE_PATH)) ?? held;
      if (current.spec?.holderIdentity !== holder) return;
      const history = [...historyOf(current), ...(record ? [record] : [])].slice(-HISTORY_KEPT);
      await write('PUT', LEASE_PATH, {
        ...current,
        metadata: {
          ...current.metadata,
          annotations: { ...current.metadata?.annotations, [HISTORY_ANNOTATION]: JSON.stringify(history) },
        },
        spec: { ...current.spec, holderIdentity: '', renewTime: microTime(now()) },
      });
    },
  };
}

/** The Lease as it is now (for the API and the tests): holder and history. */
export async function readReplacementLease(api: KubeApi): Promise<LeaseObject | undefined> {
  return api.get<LeaseObject>(LEASE_PATH);
}
