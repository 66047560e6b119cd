/**
 * `k3s agent` as far as nucmesh touches it:
 * - the client load balancer on 127.0.0.1:--lb-server-port (default 6444) to the --server URL
 *   (pkg/agent/loadbalancer), through which the agent talks to the supervisor and the kubelet to the API;
 * - the token validated through it as pkg/agent/run.go createProxyAndValidateToken does, user `node`,
 *   retried every 2 s with the error logged ("token CA hash does not match the Cluster CA certificate
 *   hash: … != …" for a wrong CA pin);
 * - the agent config fetched with the node password (pkg/agent/config: "Waiting to retrieve agent
 *   configuration; server is not ready: failed to retrieve configuration from server: <url>: 401
 *   Unauthorized" for a wrong password, retried every 5 s);
 * - the node password in /etc/rancher/node/password (k3s' fixed path; with a --data-dir other than the
 *   default the stand-in keeps it in <data-dir>/node-password so several agents can share a machine);
 * - agent/server-ca.crt, agent/client-kubelet.crt|key, agent/kubelet.kubeconfig (server 127.0.0.1:6444);
 * - READY=1 once its Node is registered (k3s' agent notifies after the Node exists).
 * - with the real parts (K3S_STANDIN_K8S_BINS): the hollow kubelet (kubelet.ts) through the load balancer.
 * PLACEHOLDER without them: the Node registration and its heartbeat every 10 s.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { kubeconfig, randomSecret, sha256, write } from './files.js';
import { getOk, request, validateToken, type Joined } from './http.js';
import { log } from './log.js';
import { notifyReady } from './notify.js';
import { DEFAULT_DATA_DIR, type AgentOptions } from './options.js';
import { kubeletClient, runKubelet } from './kubelet.js';
import { realBinDir } from './parts.js';
import { nodeAddress } from './real-server.js';
import { startLoadBalancer } from './load-balancer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEARTBEAT_MS = 10_000;
const LB_REFRESH_MS = Number(process.env['K3S_STANDIN_LB_REFRESH_MS'] ?? 5000);

function nodePassword(o: AgentOptions): string {
  const file = o.dataDir === DEFAULT_DATA_DIR ? '/etc/rancher/node/password' : path.join(o.dataDir, 'node-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const p = randomSecret();
  write(file, p + '\n');
  return p;
}

export async function runAgent(o: AgentOptions): Promise<void> {
  const lb = await startLoadBalancer(o.lbServerPort, o.serverUrl);
  const supervisor = `https://127.0.0.1:${o.lbServerPort}`;
  log.info(
    `Running load balancer k3s-agent-load-balancer 127.0.0.1:${o.lbServerPort} -> [${new URL(o.serverUrl).host}]`,
  );
  let joined: Joined;
  for (;;) {
    try {
      joined = await validateToken(supervisor, o.token, 'node');
      break;
    } catch (e) {
      log.error((e as Error).message);
      await sleep(2000);
    }
  }
  const agentDir = path.join(o.dataDir, 'agent');
  const password = nodePassword(o);
  const auth = { user: 'node', password: joined.token.password };
  const headers = { 'k3s-node-name': o.nodeName, 'k3s-node-password': password };
  let pem = '';
  for (;;) {
    try {
      await getOk(`${supervisor}/v1-k3s/config`, { ca: joined.ca, auth, headers }).catch((e: Error) => {
        throw new Error(`failed to retrieve configuration from server: ${e.message}`);
      });
      const a = await request(`${supervisor}/v1-k3s/client-kubelet.crt`, { ca: joined.ca, auth, headers });
      if (a.status !== 200) throw new Error(`${path.join(agentDir, 'client-kubelet.crt')}: ${a.body.toString('utf8')}`);
      pem = a.body.toString('utf8');
      break;
    } catch (e) {
      log.info(`Waiting to retrieve agent configuration; server is not ready: ${(e as Error).message}`);
      await sleep(5000);
    }
  }
  const cert = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----'.length) + '\n';
  const key = pem.slice(cert.length - 1).trim() + '\n';
  write(path.join(agentDir, 'server-ca.crt'), joined.ca);
  write(path.join(agentDir, 'client-kubelet.crt'), cert);
  write(path.join(agentDir, 'client-kubelet.key'), key);
  write(
    path.join(agentDir, 'kubelet.kubeconfig'),
    kubeconfig(
      supervisor,
      path.join(agentDir, 'server-ca.crt'),
      path.join(agentDir, 'client-kubelet.crt'),
      path.join(agentDir, 'client-kubelet.key'),
      false,
    ),
  );
  const binDir = realBinDir();
  if (binDir) {
    const refresh = async () => {
      const a = await request(`${supervisor}/v1-k3s/apiservers`, { ca: joined.ca, auth, timeoutMs: 3000 });
      if (a.status === 200) lb.setServers(JSON.parse(a.body.toString('utf8')) as string[]);
    };
    setInterval(() => void refresh().catch(() => undefined), LB_REFRESH_MS).unref();
    await runKubelet({
      binDir,
      dataDir: o.dataDir,
      nodeName: o.nodeName,
      nodeIp: nodeAddress(o),
      labels: o.labels,
      kubeletArgs: o.kubeletArgs,
      client: kubeletClient(o.dataDir, supervisor),
    });
    log.info(`Node ${o.nodeName} registered`);
    log.info('k3s agent is up and running');
    notifyReady();
    return;
  }
  const reg = {
    name: o.nodeName,
    role: 'agent' as const,
    labels: o.labels,
    internalIp: o.nodeIps[0] ?? '127.0.0.1',
    passwordHash: sha256(password),
  };
  const register = () =>
    getOk(`${supervisor}/v1-standin/nodes`, { method: 'POST', ca: joined.ca, cert: { cert, key }, body: reg });
  for (;;) {
    try {
      await register();
      break;
    } catch (e) {
      log.error(`Unable to register node "${o.nodeName}" with API server: ${(e as Error).message}`);
      await sleep(2000);
    }
  }
  log.info(`Node ${o.nodeName} registered`);
  log.info('k3s agent is up and running');
  notifyReady();
  setInterval(
    () => register().catch((e: Error) => log.error(`Error updating node status: ${e.message}`)),
    HEARTBEAT_MS,
  );
}
