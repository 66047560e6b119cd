/**
 * The agent's client load balancer (pkg/agent/loadbalancer): a TCP pass-through on 127.0.0.1:PORT (TLS
 * stays end to end) to one server at a time; when a connection to the current server fails it moves to
 * the next one. The list starts with the --server address (k3s' default server, always kept) and is
 * replaced by the cluster's servers as the supervisor reports them (`GET /v1-k3s/apiservers`, every
 * K3S_STANDIN_LB_REFRESH_MS, default 5000: k3s watches the same list, the kubernetes Endpoints, with
 * the supervisor port), so a kubelet keeps its API when the server it joined through is gone.
 */
import net from 'node:net';
import { log } from './log.js';

export interface LoadBalancer {
  /** host:port of every server, the current first. */
  servers: () => string[];
  setServers: (servers: string[]) => void;
}

function split(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

export function startLoadBalancer(port: number, serverUrl: string): Promise<LoadBalancer> {
  const target = new URL(serverUrl);
  const fallback = `${target.hostname}:${target.port || 443}`;
  let list = [fallback];
  let current = 0;
  const connect = (client: net.Socket, tries: number): void => {
    const address = list[current % list.length] ?? fallback;
    const { host, port: p } = split(address);
    const upstream = net.connect(p, host);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => {
      if (!connected && tries + 1 < list.length && !client.destroyed) {
        current = (current + 1) % list.length;
        log.info(`Load balancer k3s-agent-load-balancer: server ${address} failed, using ${list[current] ?? ''}`);
        return connect(client, tries + 1);
      }
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  };
  const lb = net.createServer((client) => {
    client.pause();
    connect(client, 0);
  });
  return new Promise((resolve) => {
    lb.once('error', (e) => log.fatal(`failed to start load balancer on 127.0.0.1:${port}: ${e.message}`));
    lb.listen(port, '127.0.0.1', () =>
      resolve({
        servers: () => [...list.slice(current), ...list.slice(0, current)],
        setServers: (servers) => {
          const now = list[current % list.length];
          const next = [...new Set([...servers, fallback])];
          if (next.join() === list.join()) return;
          log.info(`Updated load balancer k3s-agent-load-balancer server addresses -> [${next.join(' ')}]`);
          list = next;
          current = Math.max(0, list.indexOf(now ?? ''));
        },
      }),
    );
  });
}
