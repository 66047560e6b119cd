/**
 * The etcd v3 cluster calls k3s makes (pkg/etcd/etcd.go: MemberList, MemberAddAsLearner, MemberPromote,
 * MemberRemove, Status), through etcd's JSON gateway (`POST /v3/cluster/member/...`) on a member's client
 * URL, authenticated with the etcd client certificate (server/tls/etcd/client.crt, signed by the etcd
 * server CA), as k3s' clientv3 does over gRPC. Member IDs are uint64 and travel as decimal strings.
 */
import { request } from './http.js';
import type { KeyPair } from './pki.js';

export interface EtcdMember {
  ID: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

export interface EtcdTls {
  ca: string;
  client: KeyPair;
}

export class EtcdError extends Error {}

export async function etcdCall<T>(endpoint: string, tls: EtcdTls, call: string, body: object): Promise<T> {
  const a = await request(`${endpoint}/v3/${call}`, {
    method: 'POST',
    ca: tls.ca,
    cert: tls.client,
    body,
    timeoutMs: 5000,
  });
  const text = a.body.toString('utf8');
  let parsed: { error?: string; message?: string } & Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new EtcdError(`${call}: HTTP ${a.status}: ${text}`);
  }
  if (a.status !== 200) throw new EtcdError(parsed.message ?? parsed.error ?? `${call}: HTTP ${a.status}`);
  return parsed as T;
}

export async function memberList(endpoint: string, tls: EtcdTls): Promise<EtcdMember[]> {
  return (await etcdCall<{ members?: EtcdMember[] }>(endpoint, tls, 'cluster/member/list', {})).members ?? [];
}

/** MemberAddAsLearner: the new member and the list with it. */
export async function memberAddLearner(
  endpoint: string,
  tls: EtcdTls,
  peerUrl: string,
): Promise<{ member: EtcdMember; members: EtcdMember[] }> {
  const a = await etcdCall<{ member: EtcdMember; members?: EtcdMember[] }>(endpoint, tls, 'cluster/member/add', {
    peerURLs: [peerUrl],
    isLearner: true,
  });
  return { member: a.member, members: a.members ?? [] };
}

export async function memberPromote(endpoint: string, tls: EtcdTls, id: string): Promise<void> {
  await etcdCall(endpoint, tls, 'cluster/member/promote', { ID: id });
}

export async function memberRemove(endpoint: string, tls: EtcdTls, id: string): Promise<void> {
  await etcdCall(endpoint, tls, 'cluster/member/remove', { ID: id });
}

/** The member ID of the endpoint and of the cluster's leader (Maintenance.Status). */
export async function status(endpoint: string, tls: EtcdTls): Promise<{ memberId: string; leader: string }> {
  const s = await etcdCall<{ header?: { member_id?: string }; leader?: string }>(
    endpoint,
    tls,
    'maintenance/status',
    {},
  );
  return { memberId: s.header?.member_id ?? '', leader: s.leader ?? '' };
}
