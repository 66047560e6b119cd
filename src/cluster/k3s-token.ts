/**
 * k3s join tokens, as k3s' pkg/clientaccess/token.go defines them: `K10<CA hash>::<user>:<password>`,
 * the CA hash being the hex SHA-256 of the cluster CA file a server serves at GET /cacerts
 * (server/tls/server-ca.crt). Parsing and hashing are pure; `readK3sTokens` reads the two token files
 * a k3s server writes into its data dir. Tokens are secrets: they never go into an error or a log line.
 */
import { isFullK3sToken } from '../node/join-wire.js';
import { createHash, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NucmeshError } from '../errors.js';

/** token.go: `tokenPrefix = "K10"`, `caHashLength = sha256.Size * 2`. */
export const TOKEN_PREFIX = 'K10';
const CA_HASH = /^[0-9a-f]{64}$/;
/** kubeadm's bootstrap token form (`abcdef.0123456789abcdef`), which token.go also accepts as credentials. */
const BOOTSTRAP_TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

export interface K3sToken {
  /** Hex SHA-256 of the cluster CA; '' when the token pins no CA (a bare secret). */
  caHash: string;
  /** `server` (joins servers), `node` (joins agents) or whatever the token names. */
  username: string;
  password: string;
}

/**
 * Parses a token the way token.go's parseToken does: a bare secret becomes `K10:::<secret>` (no CA pin),
 * a CA hash must be 64 characters, the credentials are `user:password` with a non-empty password.
 * Throws E_K3S_TOKEN with token.go's own messages ("invalid token CA hash length", "invalid token format").
 */
export function parseK3sToken(token: string): K3sToken {
  if (token.length === 0) throw tokenError('token must not be empty');
  let t = token;
  if (!t.startsWith(TOKEN_PREFIX)) t = BOOTSTRAP_TOKEN.test(t) ? `${TOKEN_PREFIX}::${t}` : `${TOKEN_PREFIX}:::${t}`;
  t = t.slice(TOKEN_PREFIX.length);
  let caHash = '';
  const sep = t.indexOf('::');
  if (sep >= 0) {
    caHash = t.slice(0, sep);
    if (caHash.length > 0 && caHash.length !== 64) throw tokenError('invalid token CA hash length');
    t = t.slice(sep + 2);
  }
  if (BOOTSTRAP_TOKEN.test(t)) {
    const [id, secret] = t.split('.') as [string, string];
    return { caHash, username: id, password: secret };
  }
  const colon = t.indexOf(':');
  if (colon < 0 || colon === t.length - 1) throw tokenError('invalid token format');
  return { caHash, username: t.slice(0, colon), password: t.slice(colon + 1) };
}

/** The full, CA-pinning form nucmesh passes on: `K10<64 lower-case hex>::<user>:<password>`, else E_K3S_TOKEN. */
export function parseFullK3sToken(token: string): K3sToken {
  const parsed = parseK3sToken(token);
  if (!token.startsWith(TOKEN_PREFIX) || !CA_HASH.test(parsed.caHash) || !isFullK3sToken(token))
    throw tokenError('not a full k3s token: expected K10<sha256 of the cluster CA>::<user>:<password>');
  return parsed;
}

export function formatK3sToken(t: K3sToken): string {
  return `${TOKEN_PREFIX}${t.caHash}::${t.username}:${t.password}`;
}

/**
 * token.go's hashCA: a file with one certificate is hashed as its raw bytes (the usual self-signed
 * server-ca.crt); a bundle of several is hashed as the DER of the root its first certificate chains to,
 * so a renewed intermediate keeps the hash. A bundle whose chain does not verify falls back to the bytes,
 * as token.go does.
 */
export function caHashOf(caFile: Buffer): string {
  const pems = caFile.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  let bytes: Buffer = caFile;
  if (pems.length > 1) {
    const certs = pems.map((p) => new X509Certificate(p));
    const root = rootOf(certs);
    if (root) bytes = root.raw;
  }
  return createHash('sha256').update(bytes).digest('hex');
}

/** The self-signed certificate the first one chains to through the others, if the chain verifies. */
function rootOf(certs: X509Certificate[]): X509Certificate | undefined {
  let current = certs[0];
  for (let hops = 0; current && hops < certs.length; hops++) {
    if (current.checkIssued(current) && current.verify(current.publicKey)) return hops === 0 ? undefined : current;
    const c: X509Certificate = current;
    current = certs.slice(1).find((p) => c.checkIssued(p) && c.verify(p.publicKey));
  }
  return undefined;
}

export interface K3sTokens {
  /** server/token: joins servers (user `server`). */
  server: string;
  /** server/agent-token: joins agents (user `node`); the server token where no agent-token was set. */
  agent: string;
}

/**
 * Reads `<dataDir>/server/token` and `<dataDir>/server/agent-token`. k3s (pkg/server/server.go printTokens)
 * writes both in the full K10 form (clientaccess.FormatToken) with a trailing newline; agent-token is a
 * symbolic link to token when no agent-token was configured. A bare value (older releases, or a file an
 * operator wrote) is completed with the hash of server/tls/server-ca.crt, as FormatToken does.
 */
export async function readK3sTokens(dataDir: string): Promise<K3sTokens> {
  const server = path.join(dataDir, 'server');
  const serverToken = await readTokenFile(path.join(server, 'token'), 'server');
  const agentToken = (await readTokenFile(path.join(server, 'agent-token'), 'node', true)) ?? serverToken;
  return { server: serverToken, agent: agentToken };
}

/** `user` is the one k3s puts in front of a bare secret in that file (server/token: server, agent-token: node). */
async function readTokenFile(file: string, user: string, optional: true): Promise<string | undefined>;
async function readTokenFile(file: string, user: string): Promise<string>;
async function readTokenFile(file: string, user: string, optional = false): Promise<string | undefined> {
  let text: string;
  try {
    text = (await fs.readFile(file, 'utf8')).trim();
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new NucmeshError('E_K3S_TOKEN', `cannot read the k3s token file ${file}: ${(e as Error).message}`, {
      data: { file },
      cause: e,
    });
  }
  if (text.startsWith(TOKEN_PREFIX)) {
    parseFullK3sToken(text);
    return text;
  }
  const caFile = path.join(path.dirname(file), 'tls', 'server-ca.crt');
  let ca: Buffer;
  try {
    ca = await fs.readFile(caFile);
  } catch (e) {
    const message = `${file} holds a bare secret and the cluster CA ${caFile} cannot be read to pin it`;
    throw new NucmeshError('E_K3S_TOKEN', message, { data: { file, caFile }, cause: e });
  }
  const bare = parseK3sToken(text);
  return formatK3sToken({ ...bare, username: bare.username || user, caHash: caHashOf(ca) });
}

function tokenError(message: string): NucmeshError {
  return new NucmeshError('E_K3S_TOKEN', message);
}
