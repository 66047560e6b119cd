/** One node certificate per test process (making one takes ~0.5 s), and HTTPS requests pinned to it. */
import https from 'node:https';
import { makeNodeCertificate, type NodeCertificate } from '../../src/api/node-cert.js';
import { createPinnedAgent } from '../../src/node/cert-pin.js';

let shared: Promise<NodeCertificate> | undefined;
export function testCertificate(): Promise<NodeCertificate> {
  return (shared ??= makeNodeCertificate({ hostname: 'nuc-test' }));
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request to 127.0.0.1:port, the certificate pinned to `pin`; rejects on a wrong pin. */
export function pinnedRequest(
  port: number,
  pin: string,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: string; agent?: https.Agent },
): Promise<Answer> {
  const agent = o.agent ?? createPinnedAgent();
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: o.method ?? 'GET',
        path: o.path,
        headers: o.headers,
        agent,
        pin,
      } as https.RequestOptions,
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if (!o.agent) agent.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', (e) => {
      if (!o.agent) agent.destroy();
      reject(e);
    });
    req.end(o.body);
  });
}
