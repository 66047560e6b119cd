/**
 * The joiner's side of the k3s supervisor protocol, as pkg/clientaccess/token.go does it: GET /cacerts
 * without verifying the server, compare the token's CA hash ("token CA hash does not match the Cluster
 * CA certificate hash: %s != %s"), GET /cacerts again verifying with that CA ("CA cert validation
 * failed"), then requests with basic auth (user server or node, the token's password) or a client
 * certificate; a non-2xx answer is the error "<url>: <status line>" (token.go get).
 */
import https from 'node:https';
import { caHashOf, parseK3sToken, type K3sToken } from '../../src/cluster/k3s-token.js';
import { log } from './log.js';

export interface Answer {
  status: number;
  statusText: string;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  ca?: string;
  insecure?: boolean;
  auth?: { user: string; password: string };
  cert?: { cert: string; key: string };
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
}

export function request(url: string, o: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.auth)
      headers['authorization'] = `Basic ${Buffer.from(`${o.auth.user}:${o.auth.password}`).toString('base64')}`;
    const payload =
      o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(JSON.stringify(o.body));
    if (payload) headers['content-type'] ??= 'application/json';
    const req = https.request(
      url,
      {
        method: o.method ?? 'GET',
        headers,
        ca: o.ca,
        rejectUnauthorized: !o.insecure,
        cert: o.cert?.cert,
        key: o.cert?.key,
        timeout: o.timeoutMs ?? 10_000,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** token.go get: the body of a 2xx answer, else "<url>: <status> <text>". */
export async function getOk(url: string, o: RequestOptions = {}): Promise<Buffer> {
  const a = await request(url, o);
  if (a.status < 200 || a.status > 299) throw new Error(`${url}: ${a.status} ${a.statusText}`);
  return a.body;
}

export interface Joined {
  base: string;
  ca: string;
  token: K3sToken;
}

/** token.go ParseAndValidateToken with the user override k3s uses (server for servers, node for agents). */
export async function validateToken(server: string, token: string, user: string): Promise<Joined> {
  const parsed = parseK3sToken(token);
  const u = new URL(server);
  if (u.protocol !== 'https:') throw new Error(`only https:// URLs are supported, invalid scheme: ${server}`);
  const base = `${u.protocol}//${u.host}`;
  let cacerts: Buffer;
  try {
    cacerts = await getOk(`${base}/cacerts`, { insecure: true });
  } catch (e) {
    throw new Error(`failed to get CA certs: ${(e as Error).message}`);
  }
  try {
    await getOk(`${base}/cacerts`, { ca: cacerts.toString('utf8') });
  } catch (e) {
    throw new Error(`CA cert validation failed: ${(e as Error).message}`);
  }
  const actual = caHashOf(cacerts);
  if (parsed.caHash === '')
    log.warn(
      'Cluster CA certificate is not trusted by the host CA bundle, but the token does not include a CA hash. ' +
        "Use the full token from the server's node-token file to enable Cluster CA validation.",
    );
  else if (parsed.caHash !== actual)
    throw new Error(`token CA hash does not match the Cluster CA certificate hash: ${parsed.caHash} != ${actual}`);
  return { base, ca: cacerts.toString('utf8'), token: { ...parsed, username: user } };
}
