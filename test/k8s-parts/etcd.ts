/** A single-member etcd on loopback, plain HTTP (as k3s' own etcd is reached only locally by its apiserver). */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { partPath } from './bins.js';
import { freeLoopbackPort, startPart, waitFor, type RunningPart } from './processes.js';

export interface EtcdOptions {
  /** Data, then log file etcd.log, go below this folder. */
  dir: string;
  host?: string;
  clientPort?: number;
  peerPort?: number;
  extraArgs?: string[];
  netns?: string;
  startTimeoutMs?: number;
}

export interface RunningEtcd {
  part: RunningPart;
  /** http://HOST:PORT for --etcd-servers. */
  clientUrl: string;
}

export function etcdArgs(dataDir: string, clientUrl: string, peerUrl: string): string[] {
  return [
    '--name=default',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=default=${peerUrl}`,
    '--initial-cluster-state=new',
    '--log-level=warn',
  ];
}

async function healthy(clientUrl: string): Promise<true | undefined> {
  const answer = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
  const body = (await answer.json()) as { health?: string };
  return body.health === 'true' ? true : undefined;
}

/** Starts etcd and resolves once /health says true. */
export async function startEtcd(o: EtcdOptions): Promise<RunningEtcd> {
  const host = o.host ?? '127.0.0.1';
  const clientUrl = `http://${host}:${o.clientPort ?? (await freeLoopbackPort(host))}`;
  const peerUrl = `http://${host}:${o.peerPort ?? (await freeLoopbackPort(host))}`;
  const dataDir = path.join(o.dir, 'etcd-data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const part = startPart('etcd', partPath('etcd'), [...etcdArgs(dataDir, clientUrl, peerUrl), ...(o.extraArgs ?? [])], {
    logFile: path.join(o.dir, 'etcd.log'),
    ...(o.netns === undefined ? {} : { netns: o.netns }),
  });
  await waitFor(() => healthy(clientUrl), {
    timeoutMs: o.startTimeoutMs ?? 30_000,
    what: 'etcd /health',
    watch: [part],
  });
  return { part, clientUrl };
}
