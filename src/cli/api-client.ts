/**
 * The CLI's client of a node's API (`nucmesh status`, `logs`, `bundle`): where to connect,
 * which token, and how the certificate is trusted. To 127.0.0.1 plain HTTP (the node itself);
 * elsewhere HTTPS, pinned to the certificate in the node's signed advert when --fleet is given
 * (browsed for a few seconds; the fleet key verifies the advert), or to --pin; --insecure takes
 * any certificate. The token: --token, else $NUCMESH_TOKEN, else the fleet config's (reader, or
 * admin for what needs it). The token is never printed.
 */
import http from 'node:http';
import https from 'node:https';
import { NucmeshError, UsageError } from '../errors.js';
import { loadFleetConfig } from '../config/fleet.js';
import { fleetId, fleetKeyBytes } from '../node/fleet-crypto.js';
import { CERT_PIN, createPinnedAgent } from '../node/cert-pin.js';
import { browseOnce } from '../discovery/browse-once.js';
import type { OptionSpec } from './command.js';

export const TARGET_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  token: { type: 'string' },
  fleet: { type: 'string' },
  pin: { type: 'string' },
  insecure: { type: 'boolean' },
} satisfies OptionSpec;

export const TARGET_HELP = `  --host H            The node (address or name; default 127.0.0.1, the node itself).
  --port P            Its API port (default 8443).
  --token T           The reader or admin token (default: $NUCMESH_TOKEN, else the fleet config's).
  --fleet FILE        Fleet config: its token, and the node's certificate pin from its signed advert.
  --pin=PIN           The certificate pin (base64url SHA-256) instead of browsing for the advert
                      (write it with '=': a pin may start with '-').
  --insecure          Take any certificate (no pin): for a first look only.`;

export interface ApiTarget {
  host: string;
  port: number;
  token?: string;
  /** undefined with --insecure or plain HTTP to loopback. */
  pin?: string;
  plain: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function resolveTarget(
  command: string,
  v: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  role: 'reader' | 'admin',
): Promise<ApiTarget> {
  const host = (v['host'] as string | undefined) ?? '127.0.0.1';
  const port = Number((v['port'] as string | undefined) ?? 8443);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`nucmesh ${command}: --port must be a port from 1 to 65535`);
  let token = (v['token'] as string | undefined) ?? env['NUCMESH_TOKEN'];
  let pin = v['pin'] as string | undefined;
  if (pin !== undefined && !CERT_PIN.test(pin))
    throw new UsageError(`nucmesh ${command}: --pin must be a base64url SHA-256 (43 characters)`);
  const plain = LOOPBACK.has(host) && pin === undefined && v['fleet'] === undefined;
  const file = v['fleet'] as string | undefined;
  if (file !== undefined) {
    const { config } = await loadFleetConfig(file);
    token ??= config.api.tokens[role];
    if (pin === undefined)
      pin = await pinFromAdvert(host, { fleetId: fleetId(config.key), key: fleetKeyBytes(config) });
  }
  if (!plain && pin === undefined && v['insecure'] !== true)
    throw new UsageError(
      `nucmesh ${command}: to trust ${host}'s certificate, give --fleet FILE (its pin from the signed advert), --pin, or --insecure`,
    );
  return { host, port, plain, ...(token !== undefined ? { token } : {}), ...(pin !== undefined ? { pin } : {}) };
}

async function pinFromAdvert(host: string, fleet: { fleetId: string; key: Buffer }): Promise<string> {
  const { peers } = await browseOnce({ seconds: 3, fleet, interfaces: [] });
  const node = peers.find(
    (p) =>
      p.verified &&
      (p.addresses.includes(host) || p.instance === host || p.nodeId === host || `${p.instance}.local` === host),
  );
  if (!node?.certPin)
    throw new NucmeshError(
      'E_UNAVAILABLE',
      `no signed advert with a certificate pin from ${host} seen in 3 s (is it on this LAN and in this fleet?)`,
      { data: { host } },
    );
  return node.certPin;
}

/** One request; resolves with the response (status, headers, stream). */
export function apiRequest(
  t: ApiTarget,
  path: string,
  o: { method?: string; body?: unknown } = {},
): Promise<http.IncomingMessage> {
  const body = o.body === undefined ? undefined : JSON.stringify(o.body);
  const headers: Record<string, string> = {};
  if (t.token !== undefined) headers['authorization'] = `Bearer ${t.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const base = { host: t.host, port: t.port, path, method: o.method ?? 'GET', headers, timeout: 15_000 };
  return new Promise((resolve, reject) => {
    const req = t.plain
      ? http.request(base, resolve)
      : t.pin !== undefined
        ? https.request({ ...base, agent: createPinnedAgent(), pin: t.pin } as https.RequestOptions, resolve)
        : https.request({ ...base, rejectUnauthorized: false }, resolve);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${t.host}:${t.port} within 15 s`)));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new NucmeshError(
          'E_UNAVAILABLE',
          e.code === 'ERR_CERT_PIN'
            ? `${t.host}:${t.port} showed a certificate that is not the pinned one: not the node its advert names`
            : `cannot reach ${t.host}:${t.port}: ${e.message}`,
          { cause: e },
        ),
      ),
    );
    req.end(body);
  });
}

export async function readAll(res: http.IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk as string;
  return text;
}

/** The JSON answer (GET, or `o.method` with `o.body`), or a NucmeshError when the answer is not JSON. */
export async function getJson<T>(
  t: ApiTarget,
  path: string,
  o: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const res = await apiRequest(t, path, o);
  const text = await readAll(res);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new NucmeshError('E_BAD_REQUEST', `${path}: the answer is not JSON (HTTP ${res.statusCode})`);
  }
  return { status: res.statusCode ?? 0, body: body as T };
}

export function apiFailure(path: string, status: number, body: unknown): NucmeshError {
  const b = body as { code?: string; message?: string };
  const code = status === 401 ? 'E_UNAUTHORIZED' : status === 403 ? 'E_FORBIDDEN' : 'E_UNAVAILABLE';
  return new NucmeshError(code, `${path}: HTTP ${status}: ${b.message ?? 'failed'}`, {
    data: { status, code: b.code },
  });
}
