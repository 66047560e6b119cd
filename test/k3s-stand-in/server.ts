/**
 * `k3s server` as far as nucmesh touches it. What is exact (with where k3s does it):
 * - files: server/tls/server-ca.crt|key, client-ca.crt|key (deps.go genCerts); server/token in the K10
 *   form with a trailing newline, node-token a link to it, agent-token its own K10 file when agent-token
 *   is set and else a link to token (pkg/server/server.go printTokens); server/cred/passwd; the admin
 *   kubeconfig at --write-kubeconfig (default /etc/rancher/k3s/k3s.yaml, mode --write-kubeconfig-mode,
 *   default 0600) with embedded certificates and server https://127.0.0.1:<port>.
 * - the supervisor on --https-listen-port (default 6443) of --bind-address: GET /cacerts and /ping without
 *   auth; /v1-k3s/server-bootstrap for user `server`, /v1-k3s/config and /v1-k3s/client-kubelet.crt for
 *   user `node` (or `server`), with the node password check; a failed basic auth is logged as
 *   "Failed to authenticate request from <addr>: invalid username/password combination" and answered 401.
 * - a joining server validates the token (CA pin) and fetches the bootstrap data (the CAs and passwd) with
 *   user `server`, so its certificates and token files carry the cluster's CA; it then joins etcd as a
 *   learner, retrying every second with "Waiting for other members to finish joining etcd cluster: …"
 *   (pkg/etcd/etcd.go) while another learner is there, and is ready once promoted.
 * - READY=1 (and "k3s is up and running") once the API server and etcd are ready.
 * With the real parts (K3S_STANDIN_K8S_BINS): the cluster-wide etcd/request-header CAs and service.key in
 * the bootstrap data too (real-pki.ts), every path but the supervisor's handed to the real kube-apiserver
 * (apiserver-proxy.ts), /v1-k3s/apiservers for the agents' load balancers, the node password in its
 * Secret (node-password.ts), etcd, the apiserver and the controller manager (real-server.ts) and the
 * server's own kubelet (kubelet.ts).
 * PLACEHOLDER without them: /readyz, GET /api/v1/nodes[/name] for client certificates of the client CA,
 * and the /v1-standin/ routes through which servers share the store (store.ts) and kubelets register.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import { caHashOf, formatK3sToken, parseK3sToken } from '../../src/cluster/k3s-token.js';
import { kubeconfig, linkTo, randomSecret, readIf, sha256, write } from './files.js';
import { getOk, request, validateToken, type Joined } from './http.js';
import { log } from './log.js';
import { notifyReady } from './notify.js';
import type { ServerOptions } from './options.js';
import { issue, makeCa, type KeyPair } from './pki.js';
import { nodeObject, Store, TOO_MANY_LEARNERS, type NodeRecord } from './store.js';
import { apiserverProxy } from './apiserver-proxy.js';
import { kubeletClient, runKubelet } from './kubelet.js';
import { checkNodePassword } from './node-password.js';
import { kube } from './kube.js';
import { realBinDir } from './parts.js';
import { ensureClusterCas, issueServerCerts, REAL_TLS_FILES } from './real-pki.js';
import { nodeAddress, runControlPlane } from './real-server.js';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PROMOTE_MS = env('K3S_STANDIN_PROMOTE_MS', 2000);
const READY_DELAY_MS = env('K3S_STANDIN_NODE_READY_MS', 1000);
/** How long a joining server's etcd takes to catch up as a learner before the leader may promote it. */
const CATCHUP_MS = env('K3S_STANDIN_CATCHUP_MS', 500);
const HEARTBEAT_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Passwd {
  server: string;
  node: string;
}

/** server/cred/passwd: `password,user,uid,group` lines (pkg/passwd). */
function readPasswd(file: string): Passwd | undefined {
  const text = readIf(file);
  if (!text) return undefined;
  const p: Partial<Passwd> = {};
  for (const line of text.split('\n')) {
    const [pass, user] = line.split(',');
    if (user === 'server' || user === 'node') p[user] = pass ?? '';
  }
  return p.server && p.node ? (p as Passwd) : undefined;
}

function writePasswd(file: string, p: Passwd): void {
  write(file, `${p.node},node,node,k3s:agent\n${p.server},server,server,k3s:server\n`);
}

const TLS_FILES = ['server-ca.crt', 'server-ca.key', 'client-ca.crt', 'client-ca.key'] as const;

/** The supervisor's own routes (pkg/server/router.go); with the real parts everything else goes to the apiserver. */
function supervisorPath(p: string): boolean {
  return p === '/cacerts' || p === '/ping' || p.startsWith('/v1-k3s/');
}

export async function runServer(o: ServerOptions): Promise<void> {
  const serverDir = path.join(o.dataDir, 'server');
  const tls = path.join(serverDir, 'tls');
  mkdirSync(tls, { recursive: true, mode: 0o700 });
  mkdirSync(path.join(serverDir, 'cred'), { recursive: true, mode: 0o700 });
  const store = new Store(serverDir);
  const binDir = realBinDir();
  const passwdFile = path.join(serverDir, 'cred', 'passwd');
  const joining = o.serverUrl !== '';
  let upstream: Joined | undefined;
  let passwd = readPasswd(passwdFile);
  const fail = (m: string): never =>
    log.fatal(`starting kubernetes: preparing server: failed to bootstrap cluster data: ${m}`);

  if (o.clusterInit && joining) log.info('cluster-init is ignored: --server is set, this server joins');
  // With real etcd, a server whose etcd data exists starts from it without asking --server (pkg/cluster
  // bootstrap.go shouldBootstrap: the etcd data dir means already initialized), so it restarts even when
  // the server it once joined is gone.
  const initialized =
    binDir !== undefined &&
    existsSync(path.join(serverDir, 'db', 'etcd', 'member')) &&
    existsSync(path.join(tls, 'server-ca.crt'));
  if (joining && initialized) log.info('Managed etcd cluster bootstrap already complete and initialized');
  else if (joining) {
    try {
      upstream = await validateToken(o.serverUrl, o.token, 'server');
    } catch (e) {
      fail(`failed to check if bootstrap data has been initialized: failed to validate token: ${(e as Error).message}`);
    }
    const j = upstream as Joined;
    if (!existsSync(path.join(tls, 'server-ca.crt')) || !store.exists) {
      let body: Buffer;
      try {
        body = await getOk(`${j.base}/v1-k3s/server-bootstrap`, { ca: j.ca, auth: auth(j) });
      } catch (e) {
        return fail((e as Error).message);
      }
      const files = JSON.parse(body.toString('utf8')) as Record<string, { Content: string }>;
      for (const f of [...TLS_FILES, ...REAL_TLS_FILES])
        if (files[f]) write(path.join(tls, f), Buffer.from(files[f].Content, 'base64').toString('utf8'));
      write(passwdFile, Buffer.from(files['passwd']?.Content ?? '', 'base64').toString('utf8'));
      passwd = readPasswd(passwdFile);
    }
  } else {
    const given = o.token === '' ? undefined : parseK3sToken(o.token).password;
    if (passwd && given !== undefined && passwd.server !== given)
      fail('bootstrap data already found and encrypted with different token');
    if (!existsSync(path.join(tls, 'server-ca.crt'))) {
      const now = Math.floor(Date.now() / 1000);
      const serverCa = makeCa(`k3s-server-ca@${now}`);
      const clientCa = makeCa(`k3s-client-ca@${now}`);
      write(path.join(tls, 'server-ca.crt'), serverCa.cert);
      write(path.join(tls, 'server-ca.key'), serverCa.key);
      write(path.join(tls, 'client-ca.crt'), clientCa.cert);
      write(path.join(tls, 'client-ca.key'), clientCa.key);
    }
    if (binDir) ensureClusterCas(tls);
    if (!passwd) {
      const server = given ?? randomSecret();
      const node = o.agentToken === '' ? server : parseK3sToken(o.agentToken).password;
      passwd = { server, node };
      writePasswd(passwdFile, passwd);
    }
  }
  const pw = passwd as Passwd;
  const read = (f: string) => readFileSync(path.join(tls, f), 'utf8');
  const serverCa: KeyPair = { cert: read('server-ca.crt'), key: read('server-ca.key') };
  const clientCa: KeyPair = { cert: read('client-ca.crt'), key: read('client-ca.key') };
  const caHash = caHashOf(readFileSync(path.join(tls, 'server-ca.crt')));

  // Token files (printTokens): the K10 form with the CA hash, and the links k3s keeps.
  const tokenFile = path.join(serverDir, 'token');
  write(tokenFile, formatK3sToken({ caHash, username: 'server', password: pw.server }) + '\n');
  linkTo(path.join(serverDir, 'node-token'), tokenFile);
  const agentTokenFile = path.join(serverDir, 'agent-token');
  if (pw.node !== pw.server)
    write(agentTokenFile, formatK3sToken({ caHash, username: 'node', password: pw.node }) + '\n');
  else linkTo(agentTokenFile, tokenFile);

  const sans = [
    ...o.tlsSans,
    '127.0.0.1',
    '::1',
    'localhost',
    o.nodeName,
    ...o.nodeIps,
    ...(o.advertiseAddress ? [o.advertiseAddress] : []),
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    '10.43.0.1',
  ];
  const serving = issue(serverCa, { commonName: 'kube-apiserver', sans });
  const admin = issue(clientCa, { commonName: 'system:admin', organization: 'system:masters', client: true });
  const local = `https://127.0.0.1:${o.httpsPort}`;
  write(o.kubeconfig, kubeconfig(local, serverCa.cert, admin.cert, admin.key, true), o.kubeconfigMode);
  const certs = binDir ? issueServerCerts(tls, { serverCa, clientCa, serving, admin, sans }) : undefined;
  const apiAsAdmin = { base: `https://127.0.0.1:${o.httpsPort + 1}`, ca: serverCa.cert, cert: admin };
  const proxy = certs
    ? apiserverProxy({ port: o.httpsPort + 1, ca: serverCa.cert, authProxy: certs.authProxy })
    : undefined;

  let ready = false;
  const forward = async (req: IncomingMessage, body: unknown): Promise<{ status: number; body: string }> => {
    const j = upstream as Joined;
    const a = await request(`${j.base}${req.url}`, { method: req.method ?? 'GET', ca: j.ca, auth: auth(j), body });
    return { status: a.status, body: a.body.toString('utf8') };
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://stand-in');
    const p = url.pathname;
    const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const basic = basicAuth(req);
    const basicOk =
      basic !== undefined &&
      ((basic.user === 'server' && basic.password === pw.server) ||
        (basic.user === 'node' && (basic.password === pw.node || basic.password === pw.server)));
    if (basic && !basicOk)
      log.error(`Failed to authenticate request from ${peer}: invalid username/password combination`);
    const cert = clientCert(req);
    const send = (status: number, body: string | object, type = 'application/json') => {
      res.writeHead(status, { 'content-type': typeof body === 'string' ? type : 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const unauthorized = () => send(401, status(401, 'Unauthorized', 'Unauthorized'));
    if (proxy && !supervisorPath(p)) return proxy.handle(req, res);
    const body = await readBody(req);

    if (p === '/cacerts') return send(200, serverCa.cert, 'text/plain');
    if (p === '/ping') return send(200, 'pong', 'text/plain');
    if (p === '/v1-k3s/server-bootstrap') {
      if (!basicOk || basic?.user !== 'server') return unauthorized();
      const files: Record<string, { Timestamp: string; Content: string }> = {};
      for (const f of [...TLS_FILES, ...REAL_TLS_FILES]) if (existsSync(path.join(tls, f))) files[f] = entry(read(f));
      files['passwd'] = entry(readFileSync(passwdFile, 'utf8'));
      return send(200, files);
    }
    if (p === '/v1-k3s/apiservers' && certs) {
      // pkg/server/router.go apiserversHandler: the apiservers of the cluster (the kubernetes Endpoints),
      // with the supervisor port, for the agents' load balancers.
      if (!basicOk) return unauthorized();
      const ep = await kube(apiAsAdmin, 'GET', '/api/v1/namespaces/default/endpoints/kubernetes');
      const subsets = (ep.body as { subsets?: { addresses?: { ip: string }[] }[] }).subsets ?? [];
      const ips = subsets.flatMap((x) => x.addresses ?? []).map((a) => a.ip);
      return send(
        200,
        ips.map((ip) => (ip.includes(':') ? `[${ip}]` : ip) + `:${o.httpsPort}`),
      );
    }
    if (p === '/v1-k3s/config') {
      if (!basicOk) return unauthorized();
      return send(200, { serverCA: serverCa.cert, nodeName: req.headers['k3s-node-name'] ?? '' });
    }
    if (p === '/v1-k3s/client-kubelet.crt') {
      if (!basicOk) return unauthorized();
      const name = String(req.headers['k3s-node-name'] ?? '');
      const password = String(req.headers['k3s-node-password'] ?? '');
      const known = store.nodes.get(name);
      const verdict = certs
        ? await checkNodePassword(apiAsAdmin, name, password).catch(() => 'unavailable' as const)
        : undefined;
      if (verdict === 'unavailable') return send(503, 'waiting for the apiserver', 'text/plain');
      if (name === '' || verdict === 'rejected' || (known && known.passwordHash !== sha256(password)))
        return send(
          403,
          "Node password rejected, duplicate hostname or contents of '/etc/rancher/node/password' may not match server node-passwd entry, try enabling a unique node name with the --with-node-id flag",
          'text/plain',
        );
      const kp = issue(clientCa, { commonName: `system:node:${name}`, organization: 'system:nodes', client: true });
      return send(200, kp.cert + kp.key, 'text/plain');
    }
    // --- placeholder Kubernetes API (the next issue: a real kube-apiserver) ---
    if (p === '/readyz' || p === '/livez') {
      if (!cert && !basicOk) return unauthorized();
      return ready
        ? send(200, 'ok', 'text/plain')
        : send(500, '[-]etcd failed: reason withheld\nreadyz check failed', 'text/plain');
    }
    if (p === '/api/v1/nodes' || p.startsWith('/api/v1/nodes/')) {
      if (!cert) return unauthorized();
      const now = Date.now();
      if (p === '/api/v1/nodes')
        return send(200, {
          apiVersion: 'v1',
          kind: 'NodeList',
          metadata: {},
          items: [...store.nodes.values()].map((n) => nodeObject(n, now, READY_DELAY_MS)),
        });
      const name = decodeURIComponent(p.slice('/api/v1/nodes/'.length));
      const n = store.nodes.get(name);
      if (!n)
        return send(404, { ...status(404, 'NotFound', `nodes "${name}" not found`), details: { name, kind: 'nodes' } });
      return send(200, nodeObject(n, now, READY_DELAY_MS));
    }
    // --- stand-in only: shared store, kubelet registration ---
    if (p === '/v1-standin/state') {
      if (!(basicOk && basic?.user === 'server') && !cert) return unauthorized();
      return send(200, store.state());
    }
    if (p === '/v1-standin/nodes' && req.method === 'POST') {
      const reg = body as Omit<NodeRecord, 'registeredAt' | 'heartbeatAt'>;
      // NodeRestriction: a kubelet writes only its own Node.
      const asKubelet = cert === `system:node:${reg.name}`;
      if (!asKubelet && !(basicOk && basic?.user === 'server')) return unauthorized();
      if (upstream) {
        const a = await forward(req, reg);
        if (a.status === 200) store.upsertNode(reg, Date.now());
        return send(a.status, a.body);
      }
      return send(200, store.upsertNode(reg, Date.now()));
    }
    if (p === '/v1-standin/members' && req.method === 'POST') {
      if (!(basicOk && basic?.user === 'server')) return unauthorized();
      if (upstream) {
        const a = await forward(req, body);
        return send(a.status, a.body, 'text/plain');
      }
      const m = body as { name: string; peerUrl: string };
      if (!o.clusterInit && store.members.size === 0)
        return send(500, 'this server does not run embedded etcd (no cluster-init)', 'text/plain');
      try {
        return send(200, store.addLearner(m.name, m.peerUrl, Date.now()));
      } catch (e) {
        return send(409, (e as Error).message, 'text/plain');
      }
    }
    const caught = /^\/v1-standin\/members\/([^/]+)\/caught-up$/.exec(p);
    if (caught && req.method === 'POST') {
      if (!(basicOk && basic?.user === 'server')) return unauthorized();
      if (upstream) {
        const a = await forward(req, body);
        return send(a.status, a.body);
      }
      return store.caughtUp(decodeURIComponent(caught[1] as string))
        ? send(200, {})
        : send(404, status(404, 'NotFound', 'no such member'));
    }
    return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  };

  const server = https.createServer(
    { cert: serving.cert, key: serving.key, ca: [clientCa.cert], requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      handler(req, res).catch((e: Error) => {
        log.error(`stand-in handler: ${e.message}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    },
  );
  if (proxy) server.on('upgrade', proxy.upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.httpsPort, o.bindAddress, () => resolve());
  }).catch((e: Error) =>
    log.fatal(`starting kubernetes: preparing server: failed to start supervisor listener: ${e.message}`),
  );
  log.info(`Running kube-apiserver (stand-in) on ${o.bindAddress}:${o.httpsPort}`);
  log.info(`Server node token is available at ${tokenFile}`);
  log.info(`Agent node token is available at ${agentTokenFile}`);
  log.info(`Wrote kubeconfig ${o.kubeconfig}`);

  if (binDir && certs) {
    await runControlPlane({ o, binDir, serverDir, tls, upstream, certs, serverCa, admin });
    ready = true;
    log.info('k3s is up and running');
    notifyReady();
    if (o.disableAgent) return;
    writeKubeletFiles(o, local, serverCa, clientCa);
    await runKubelet({
      binDir,
      dataDir: o.dataDir,
      nodeName: o.nodeName,
      nodeIp: nodeAddress(o),
      labels: o.labels,
      kubeletArgs: o.kubeletArgs,
      client: kubeletClient(o.dataDir, local),
    });
    log.info(`Node ${o.nodeName} registered`);
    return;
  }
  const peerUrl = `https://${o.advertiseAddress || o.nodeIps[0] || '127.0.0.1'}:2380`;
  if (upstream) {
    const j = upstream;
    // Copy the cluster state from the server joined, every second (store.ts).
    const sync = async () => {
      try {
        const s = await getOk(`${j.base}/v1-standin/state`, { ca: j.ca, auth: auth(j) });
        store.replace(JSON.parse(s.toString('utf8')));
        store.save();
      } catch {
        // keep the copy we have
      }
    };
    await sync();
    setInterval(() => void sync(), 1000).unref();
    if (!store.members.get(o.nodeName) || store.members.get(o.nodeName)?.isLearner)
      await joinEtcd(j, o.nodeName, peerUrl, store);
  } else if (o.clusterInit || store.members.size > 0) {
    store.addVoter(o.nodeName, peerUrl, Date.now());
    setInterval(() => store.manageLearners(Date.now(), (m) => log.info(m)), PROMOTE_MS).unref();
  }
  ready = true;
  log.info('ETCD server is now running');
  log.info('k3s is up and running');
  notifyReady();

  if (!o.disableAgent) {
    // The server's own kubelet: its client certificate and kubelet.kubeconfig (to the local API), its Node.
    const kubelet = writeKubeletFiles(o, local, serverCa, clientCa);
    const reg = {
      name: o.nodeName,
      role: 'server' as const,
      labels: o.labels,
      internalIp: o.nodeIps[0] ?? '127.0.0.1',
      passwordHash: sha256(pw.server),
    };
    const register = async () => {
      try {
        await getOk(`${local}/v1-standin/nodes`, { method: 'POST', ca: serverCa.cert, cert: kubelet, body: reg });
      } catch (e) {
        log.error(`Unable to register node with API server: ${(e as Error).message}`);
      }
    };
    await register();
    log.info(`Node ${o.nodeName} registered`);
    setInterval(() => void register(), HEARTBEAT_MS).unref();
  }
}

/**
 * The server's own kubelet files (k3s layout): agent/client-kubelet.crt|key signed by the client CA,
 * agent/server-ca.crt, agent/kubelet.kubeconfig naming them, server https://127.0.0.1:<https-listen-port>
 * (pkg/cli/server/server.go: a server's agent talks to its own supervisor, no load balancer).
 */
function writeKubeletFiles(o: ServerOptions, local: string, serverCa: KeyPair, clientCa: KeyPair): KeyPair {
  const agentDir = path.join(o.dataDir, 'agent');
  const kubelet = issue(clientCa, {
    commonName: `system:node:${o.nodeName}`,
    organization: 'system:nodes',
    client: true,
  });
  write(path.join(agentDir, 'server-ca.crt'), serverCa.cert);
  write(path.join(agentDir, 'client-kubelet.crt'), kubelet.cert);
  write(path.join(agentDir, 'client-kubelet.key'), kubelet.key);
  const file = (f: string) => path.join(agentDir, f);
  const kc = kubeconfig(local, file('server-ca.crt'), file('client-kubelet.crt'), file('client-kubelet.key'), false);
  write(file('kubelet.kubeconfig'), kc);
  return kubelet;
}

/** Joins etcd as a learner through the server joined, then waits to be promoted (pkg/etcd/etcd.go join). */
async function joinEtcd(j: Joined, name: string, peerUrl: string, store: Store): Promise<void> {
  for (;;) {
    const a = await request(`${j.base}/v1-standin/members`, {
      method: 'POST',
      ca: j.ca,
      auth: auth(j),
      body: { name, peerUrl },
    }).catch((e: Error) => ({ status: 0, statusText: e.message, body: Buffer.from(e.message) }));
    if (a.status === 200) break;
    const text = a.body.toString('utf8');
    if (text === TOO_MANY_LEARNERS) log.info(`Waiting for other members to finish joining etcd cluster: ${text}`);
    else if (a.status === 0) log.info(`Waiting to retrieve etcd cluster member list: ${text}`);
    else log.fatal(`etcd cluster join failed: ${text}`);
    await sleep(1000);
  }
  log.info(`Adding member ${name}=${peerUrl} to etcd cluster as learner`);
  // The learner catches up (K3S_STANDIN_CATCHUP_MS), then waits for the leader to promote it.
  await sleep(CATCHUP_MS);
  await request(`${j.base}/v1-standin/members/${encodeURIComponent(name)}/caught-up`, {
    method: 'POST',
    ca: j.ca,
    auth: auth(j),
    body: {},
  });
  while (store.members.get(name)?.isLearner !== false) await sleep(250);
}

function auth(j: Joined): { user: string; password: string } {
  return { user: j.token.username, password: j.token.password };
}

function entry(content: string): { Timestamp: string; Content: string } {
  return { Timestamp: new Date().toISOString(), Content: Buffer.from(content).toString('base64') };
}

function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function basicAuth(req: IncomingMessage): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const text = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { user: text.slice(0, i), password: text.slice(i + 1) };
}

/** The CN of a verified client certificate (signed by the client CA), else undefined. */
function clientCert(req: IncomingMessage): string | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const raw = socket.getPeerX509Certificate?.();
  if (!raw) return undefined;
  const cn = /CN=([^\n,]+)/.exec((raw as X509Certificate).subject);
  return cn?.[1];
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
