/**
 * A k3s server's control plane on the real parts (K3S_STANDIN_K8S_BINS): etcd, kube-apiserver,
 * kube-controller-manager, with k3s' layout and rules.
 *
 * etcd (pkg/etcd/etcd.go): member name `<node-name>-<8 hex>` kept in server/db/etcd/name, data in
 * server/db/etcd; clients on https://127.0.0.1:2379 and https://<node-ip>:2379, peers on
 * https://<node-ip>:2380, TLS with server/tls/etcd/* and client certificate auth on both, election
 * timeout 5000 ms and heartbeat 500 ms (k3s' values). The first server (cluster-init) starts a new
 * cluster. A joining server (join): MemberAddAsLearner through the etcd client URL of the server it
 * joins (while another learner exists etcd refuses with "etcdserver: too many learner members in
 * cluster", logged as "Waiting for other members to finish joining etcd cluster: …" and retried every
 * second), then starts etcd with the returned member list (`initial-cluster-state=existing`) and waits to
 * be promoted. The leader promotes learners (manageLearners: every K3S_STANDIN_PROMOTE_MS, k3s 15 s; etcd
 * itself refuses while the learner is not in sync) and removes one stalled for 5 minutes
 * (learnerMaxStallTime).
 *
 * kube-apiserver on 127.0.0.1:(https-listen-port + 1) against the local etcd, behind the supervisor
 * (apiserver-proxy.ts); kube-controller-manager on every server, leader-elected (its Lease in
 * kube-system), through cred/controller.kubeconfig (https://127.0.0.1:6444, as k3s' component
 * kubeconfigs). `kube-apiserver-arg`, `kube-controller-manager-arg`, `etcd-arg` override or extend the
 * defaults (component-args.ts).
 *
 * Node metadata, as k3s' server controllers set it on the server's own Node once it exists:
 * node-role.kubernetes.io/control-plane=true and master=true (pkg/server/server.go
 * setNodeLabelsAndAnnotations), node-role.kubernetes.io/etcd=true with the annotations
 * etcd.k3s.cattle.io/node-name (the member name) and etcd.k3s.cattle.io/node-address (pkg/etcd
 * metadata_controller.go), and the finalizer wrangler.cattle.io/managed-etcd-controller (wrangler's
 * OnRemove of pkg/etcd/member_controller.go): when such a Node is deleted, the other servers remove its
 * etcd member ("Removing etcd member NAME from cluster") and then the finalizer, so the Node goes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { componentArgs } from './component-args.js';
import {
  EtcdError,
  memberAddLearner,
  memberList,
  memberPromote,
  memberRemove,
  status,
  type EtcdMember,
  type EtcdTls,
} from './etcd-api.js';
import { kubeconfig, write } from './files.js';
import type { Joined } from './http.js';
import { request } from './http.js';
import { listNodes, getNode, patchNode, type KubeClient } from './kube.js';
import { log } from './log.js';
import type { ServerOptions } from './options.js';
import { startChild } from './parts.js';
import type { KeyPair } from './pki.js';
import type { ServerCerts } from './real-pki.js';
import { TOO_MANY_LEARNERS, LEARNER_STALL_MS } from './store.js';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PROMOTE_MS = env('K3S_STANDIN_PROMOTE_MS', 2000);
const MEMBER_SYNC_MS = env('K3S_STANDIN_MEMBER_SYNC_MS', 1000);
const UNHEALTHY = 'etcdserver: unhealthy cluster';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const ETCD_FINALIZER = 'wrangler.cattle.io/managed-etcd-controller';
export const NODE_NAME_ANNOTATION = 'etcd.k3s.cattle.io/node-name';
export const NODE_ADDRESS_ANNOTATION = 'etcd.k3s.cattle.io/node-address';
export const ROLE_LABELS = {
  'node-role.kubernetes.io/control-plane': 'true',
  'node-role.kubernetes.io/master': 'true',
  'node-role.kubernetes.io/etcd': 'true',
} as const;

export interface ControlPlaneInput {
  o: ServerOptions;
  binDir: string;
  serverDir: string;
  tls: string;
  upstream: Joined | undefined;
  certs: ServerCerts;
  serverCa: KeyPair;
  admin: KeyPair;
}

/** --advertise-address / --node-ip, else the first non-loopback IPv4 address, else loopback. */
export function nodeAddress(o: { advertiseAddress?: string; nodeIps: string[] }): string {
  if (o.advertiseAddress) return o.advertiseAddress;
  if (o.nodeIps[0]) return o.nodeIps[0];
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  return '127.0.0.1';
}

function memberName(etcdDir: string, nodeName: string): string {
  const file = path.join(etcdDir, 'name');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const name = `${nodeName}-${randomBytes(4).toString('hex')}`;
  write(file, name);
  return name;
}

/** Runs etcd, the apiserver and the controller manager; resolves once the API is ready and etcd votes. */
export async function runControlPlane(i: ControlPlaneInput): Promise<{ admin: KubeClient }> {
  const { o, tls } = i;
  const ip = nodeAddress(o);
  const etcdDir = path.join(i.serverDir, 'db', 'etcd');
  mkdirSync(etcdDir, { recursive: true, mode: 0o700 });
  const name = memberName(etcdDir, o.nodeName);
  const etcdTls: EtcdTls = { ca: i.certs.etcdCa, client: i.certs.etcdClient };
  const local = 'https://127.0.0.1:2379';
  const peerUrl = `https://${ip}:2380`;
  const fresh = !existsSync(path.join(etcdDir, 'member'));
  let cluster = `${name}=${peerUrl}`;
  let state = 'new';
  let myId: string | undefined;
  const remote = i.upstream ? `https://${new URL(i.upstream.base).hostname}:2379` : undefined;
  if (remote && fresh) {
    const joined = await joinAsLearner(remote, etcdTls, name, peerUrl);
    myId = joined.id;
    cluster = joined.initialCluster;
    state = 'existing';
  }
  const t = (f: string) => path.join(tls, f);
  const clientUrls = [...new Set([local, `https://${ip}:2379`])].join(',');
  const etcdArgs = componentArgs(
    {
      name,
      'data-dir': etcdDir,
      'listen-client-urls': clientUrls,
      'advertise-client-urls': `https://${ip}:2379`,
      'listen-peer-urls': peerUrl,
      'initial-advertise-peer-urls': peerUrl,
      'initial-cluster': cluster,
      'initial-cluster-state': state,
      'cert-file': t('etcd/server-client.crt'),
      'key-file': t('etcd/server-client.key'),
      'trusted-ca-file': t('etcd/server-ca.crt'),
      'client-cert-auth': 'true',
      'peer-cert-file': t('etcd/peer-server-client.crt'),
      'peer-key-file': t('etcd/peer-server-client.key'),
      'peer-trusted-ca-file': t('etcd/peer-ca.crt'),
      'peer-client-cert-auth': 'true',
      'election-timeout': '5000',
      'heartbeat-interval': '500',
      'log-level': 'warn',
    },
    o.etcdArgs,
  );
  startChild(o.dataDir, 'etcd', path.join(i.binDir, 'etcd'), etcdArgs);
  const self = await waitFor('etcd', () => status(local, etcdTls));
  myId ??= self.memberId;
  // A learner serves no client requests; ask the server joined until this member votes.
  await waitFor('promotion to a voting etcd member', async () => {
    const members = await memberList(remote ?? local, etcdTls).catch(() => memberList(local, etcdTls));
    const me = members.find((m) => m.ID === myId);
    return me && !me.isLearner ? true : undefined;
  });
  log.info('ETCD server is now running');

  const apiPort = o.httpsPort + 1;
  const apiArgs = componentArgs(
    {
      'bind-address': '127.0.0.1',
      'secure-port': String(apiPort),
      ...(ip.startsWith('127.') ? {} : { 'advertise-address': ip }),
      'etcd-servers': local,
      'etcd-cafile': t('etcd/server-ca.crt'),
      'etcd-certfile': t('etcd/client.crt'),
      'etcd-keyfile': t('etcd/client.key'),
      'tls-cert-file': t('serving-kube-apiserver.crt'),
      'tls-private-key-file': t('serving-kube-apiserver.key'),
      'client-ca-file': t('client-ca.crt'),
      'kubelet-client-certificate': t('client-kube-apiserver.crt'),
      'kubelet-client-key': t('client-kube-apiserver.key'),
      'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
      'service-account-key-file': t('service.key'),
      'service-account-signing-key-file': t('service.key'),
      'service-cluster-ip-range': o.serviceCidr,
      'authorization-mode': 'Node,RBAC',
      'enable-admission-plugins': 'NodeRestriction',
      'anonymous-auth': 'false',
      'allow-privileged': 'true',
      'requestheader-client-ca-file': t('request-header-ca.crt'),
      'requestheader-allowed-names': 'system:auth-proxy',
      'requestheader-username-headers': 'X-Remote-User',
      'requestheader-group-headers': 'X-Remote-Group',
      'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
      'proxy-client-cert-file': t('client-auth-proxy.crt'),
      'proxy-client-key-file': t('client-auth-proxy.key'),
      profiling: 'false',
      'cert-dir': t('temporary-certs'),
    },
    o.kubeApiserverArgs,
  );
  startChild(o.dataDir, 'kube-apiserver', path.join(i.binDir, 'kube-apiserver'), apiArgs);
  const admin: KubeClient = { base: `https://127.0.0.1:${apiPort}`, ca: i.serverCa.cert, cert: i.admin };
  await waitFor('kube-apiserver /readyz', async () => {
    const a = await request(`${admin.base}/readyz`, { ca: admin.ca, cert: admin.cert, timeoutMs: 3000 });
    return a.status === 200 ? true : undefined;
  });
  log.info('Kube API server is now running');

  const credDir = path.join(i.serverDir, 'cred');
  const controllerKc = path.join(credDir, 'controller.kubeconfig');
  write(
    controllerKc,
    kubeconfig(admin.base, t('server-ca.crt'), t('client-controller.crt'), t('client-controller.key'), false),
  );
  const kcmArgs = componentArgs(
    {
      kubeconfig: controllerKc,
      'authentication-kubeconfig': controllerKc,
      'authorization-kubeconfig': controllerKc,
      'bind-address': '127.0.0.1',
      'secure-port': '10257',
      'leader-elect': 'true',
      'service-account-private-key-file': t('service.key'),
      'root-ca-file': t('server-ca.crt'),
      'use-service-account-credentials': 'true',
      'allocate-node-cidrs': 'true',
      'cluster-cidr': o.clusterCidr,
      'service-cluster-ip-range': o.serviceCidr,
      profiling: 'false',
      'cert-dir': t('temporary-certs-kcm'),
    },
    o.kubeControllerManagerArgs,
  );
  startChild(o.dataDir, 'kube-controller-manager', path.join(i.binDir, 'kube-controller-manager'), kcmArgs);

  const ctx = { admin, etcdTls, local, name, ip, nodeName: o.nodeName };
  const stalls = new Map<string, number>();
  setInterval(() => void manageLearners(ctx, stalls).catch(() => undefined), PROMOTE_MS).unref();
  setInterval(() => void syncNodes(ctx).catch(() => undefined), MEMBER_SYNC_MS).unref();
  return { admin };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  let last = '';
  for (let n = 0; ; n++) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (n % 20 === 19) log.info(`Waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(500);
  }
}

/** MemberAddAsLearner through REMOTE, retried while another learner is there (pkg/etcd/etcd.go join). */
async function joinAsLearner(
  remote: string,
  tls: EtcdTls,
  name: string,
  peerUrl: string,
): Promise<{ id: string; initialCluster: string }> {
  for (;;) {
    try {
      const members = await memberList(remote, tls);
      // A member left with this peer URL by an earlier attempt (its data is gone): remove it first.
      const stale = members.find((m) => m.peerURLs?.includes(peerUrl));
      if (stale) {
        log.info(`Removing stale etcd member ${stale.name || stale.ID} with peer URL ${peerUrl}`);
        await memberRemove(remote, tls, stale.ID);
      }
      const added = await memberAddLearner(remote, tls, peerUrl);
      log.info(`Adding member ${name}=${peerUrl} to etcd cluster as learner`);
      return { id: added.member.ID, initialCluster: initialCluster(added.members, added.member.ID, name) };
    } catch (e) {
      const text = (e as Error).message;
      // etcd refuses an add while a voting member is not connected ("etcdserver: unhealthy cluster"): k3s
      // fails and is restarted by systemd; the stand-in waits instead.
      if (text.includes(UNHEALTHY)) log.info(`Waiting for the etcd cluster to be healthy: ${text}`);
      else if (text.includes(TOO_MANY_LEARNERS))
        log.info(`Waiting for other members to finish joining etcd cluster: ${TOO_MANY_LEARNERS}`);
      else if (e instanceof EtcdError) log.fatal(`etcd cluster join failed: ${text}`);
      else log.info(`Waiting to retrieve etcd cluster member list: ${text}`);
      await sleep(1000);
    }
  }
}

/** The --initial-cluster of a new member: every started member by name, and itself. */
export function initialCluster(members: EtcdMember[], id: string, name: string): string {
  return members
    .map((m) => ({ n: m.ID === id ? name : (m.name ?? ''), url: m.peerURLs?.[0] ?? '' }))
    .filter((m) => m.n !== '' && m.url !== '')
    .map((m) => `${m.n}=${m.url}`)
    .join(',');
}

interface Ctx {
  admin: KubeClient;
  etcdTls: EtcdTls;
  local: string;
  name: string;
  ip: string;
  nodeName: string;
}

/** One manageLearners pass on the leader: promote learners etcd considers in sync, drop stalled ones. */
async function manageLearners(c: Ctx, stalls: Map<string, number>): Promise<void> {
  const s = await status(c.local, c.etcdTls);
  if (s.leader !== s.memberId) return;
  for (const m of await memberList(c.local, c.etcdTls)) {
    if (!m.isLearner) continue;
    const since = stalls.get(m.ID) ?? Date.now();
    stalls.set(m.ID, since);
    try {
      await memberPromote(c.local, c.etcdTls, m.ID);
      stalls.delete(m.ID);
      log.info(`Promoted learner etcd member ${m.name || m.ID}`);
    } catch (e) {
      if (Date.now() - since > LEARNER_STALL_MS) {
        await memberRemove(c.local, c.etcdTls, m.ID);
        log.info(`Removed learner etcd member ${m.name || m.ID}: no progress for ${LEARNER_STALL_MS / 60_000} minutes`);
      } else log.info(`Learner etcd member ${m.name || m.ID} not promoted yet: ${(e as Error).message}`);
    }
  }
}

/** The own Node's role labels, etcd annotations and finalizer; other servers' deleted Nodes lose their member. */
async function syncNodes(c: Ctx): Promise<void> {
  const own = await getNode(c.admin, c.nodeName);
  if (own && !own.metadata.deletionTimestamp) {
    const labels = Object.entries(ROLE_LABELS).filter(([k, v]) => own.metadata.labels?.[k] !== v);
    const a = own.metadata.annotations ?? {};
    const finalizers = own.metadata.finalizers ?? [];
    if (
      labels.length > 0 ||
      a[NODE_NAME_ANNOTATION] !== c.name ||
      a[NODE_ADDRESS_ANNOTATION] !== c.ip ||
      !finalizers.includes(ETCD_FINALIZER)
    ) {
      await patchNode(c.admin, c.nodeName, {
        metadata: {
          labels: Object.fromEntries(labels),
          annotations: { [NODE_NAME_ANNOTATION]: c.name, [NODE_ADDRESS_ANNOTATION]: c.ip },
          finalizers: [...finalizers.filter((f) => f !== ETCD_FINALIZER), ETCD_FINALIZER],
          resourceVersion: own.metadata.resourceVersion,
        },
      });
      log.info(`Labels and annotations have been set successfully on node: ${c.nodeName}`);
    }
  }
  for (const node of await listNodes(c.admin)) {
    const m = node.metadata;
    if (!m.deletionTimestamp || !m.finalizers?.includes(ETCD_FINALIZER) || m.name === c.nodeName) continue;
    const memberNameOf = m.annotations?.[NODE_NAME_ANNOTATION];
    log.info(`Removing etcd member ${m.name} from cluster`);
    const member = (await memberList(c.local, c.etcdTls)).find((x) => x.name === memberNameOf);
    if (member) await memberRemove(c.local, c.etcdTls, member.ID);
    await patchNode(c.admin, m.name, {
      metadata: { finalizers: m.finalizers.filter((f) => f !== ETCD_FINALIZER), resourceVersion: m.resourceVersion },
    });
  }
}
