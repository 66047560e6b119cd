/**
 * Every node's kubelet with the real parts: the hollow kubelet (`kubemark --morph=kubelet`: the real
 * kubelet code, a fake container runtime), authenticated by agent/client-kubelet.crt (system:node:NAME,
 * signed by the cluster's client CA), registering its Node with the config's node-label items in
 * --node-labels (pkg/agent/config: k3s passes node-label to the kubelet's --node-labels) plus
 * `kubelet-arg` items (only flags kubemark knows). The kubelet sets labels only when it registers, so
 * the node-labels are merged into the Node at every start as well (pkg/agent/run.go
 * updateMutableLabels), added, never removed, with the kubelet's own credentials (NodeRestriction lets
 * a kubelet label its own Node, outside the restricted kubernetes.io prefixes).
 *
 * kubemark keeps its root folder and runtime socket in /tmp whatever $TMPDIR says: it runs in a mount
 * namespace (needs root) whose /tmp is agent/kubemark-tmp, with a kubeconfig copy that embeds the
 * certificates (the data dir may itself be below /tmp). kubemark has no --node-ip: the kubelet finds
 * its address by resolving the node name, so that namespace also gets its own /etc/hosts naming the
 * node IP (what k3s passes as the kubelet's --node-ip); without it a namespace with no DNS server
 * stalls each lookup for 20 s and the kubelet may give up initialising (NotReady "failed to initialize
 * CSINode").
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freeLoopbackPort } from '../k8s-parts/processes.js';
import { componentArgs } from './component-args.js';
import { kubeconfig, write } from './files.js';
import { getNode, patchNode, type KubeClient } from './kube.js';
import { log } from './log.js';
import { startChild } from './parts.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface KubeletOptions {
  binDir: string;
  dataDir: string;
  nodeName: string;
  /** The node's address (--node-ip), which the kubelet reports. */
  nodeIp: string;
  labels: Record<string, string>;
  kubeletArgs: string[];
  /** The API as the kubelet reaches it (agents: the client load balancer; servers: the local supervisor). */
  client: KubeClient;
}

/** Starts the hollow kubelet; resolves once its Node exists and carries the node-labels. */
export async function runKubelet(o: KubeletOptions): Promise<void> {
  const scratch = path.join(o.dataDir, 'agent', 'kubemark-tmp');
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const inline = kubeconfig(o.client.base, o.client.ca, o.client.cert.cert, o.client.cert.key, true);
  write(path.join(scratch, 'kubelet.kubeconfig'), inline);
  const labels = Object.entries(o.labels).map(([k, v]) => `${k}=${v}`);
  const args = componentArgs(
    {
      morph: 'kubelet',
      name: o.nodeName,
      kubeconfig: '/tmp/kubelet.kubeconfig',
      'kubelet-port': String(await freeLoopbackPort()),
      'kubelet-read-only-port': '0',
      // No containerd here: the fake runtime's image service too.
      'use-host-image-service': 'false',
      'kube-api-content-type': 'application/json',
      ...(labels.length > 0 ? { 'node-labels': labels.join(',') } : {}),
    },
    o.kubeletArgs,
  );
  const hosts = path.join(o.dataDir, 'agent', 'kubemark-hosts');
  write(hosts, `127.0.0.1 localhost\n${o.nodeIp} ${o.nodeName}\n`, 0o644);
  startChild(
    o.dataDir,
    'kubelet',
    'unshare',
    withPrivateTmpAndHosts(scratch, hosts, path.join(o.binDir, 'kubemark'), args),
  );
  for (;;) {
    try {
      const node = await getNode(o.client, o.nodeName);
      if (node) {
        const missing = Object.entries(o.labels).filter(([k, v]) => node.metadata.labels?.[k] !== v);
        if (missing.length > 0)
          await patchNode(o.client, o.nodeName, { metadata: { labels: Object.fromEntries(missing) } });
        return;
      }
    } catch (e) {
      log.info(`Waiting for node ${o.nodeName}: ${(e as Error).message}`);
    }
    await sleep(500);
  }
}

/**
 * unshare ARGS running FILE with DIR on /tmp and HOSTS on /etc/hosts in a new mount namespace (same PID
 * through sh's exec; FILE opened before the mounts, as hollow-node.ts withPrivateTmp does).
 */
function withPrivateTmpAndHosts(dir: string, hosts: string, file: string, args: string[]): string[] {
  const script =
    'exec 3<"$1" && mount --bind "$2" /etc/hosts && mount --bind "$0" /tmp && shift 2 && exec /proc/self/fd/3 "$@"';
  return ['--mount', '--propagation', 'private', 'sh', '-c', script, dir, file, hosts, ...args];
}

/** The kubelet's client as its kubeconfig names it (agent/kubelet.kubeconfig and the files beside it). */
export function kubeletClient(dataDir: string, server: string): KubeClient {
  const agent = path.join(dataDir, 'agent');
  const read = (f: string) => readFileSync(path.join(agent, f), 'utf8');
  return {
    base: server,
    ca: read('server-ca.crt'),
    cert: { cert: read('client-kubelet.crt'), key: read('client-kubelet.key') },
  };
}
