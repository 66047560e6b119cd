/**
 * The fields a node advertises in its TXT record, their encoding to and from TXT strings,
 * and validation that names the bad field. Pure functions; no I/O.
 *
 * TXT keys: v (protocol), id (node ID), fl (fleet ID), st (state), cl (cluster ID, may be
 * empty), kp (k3s API port, servers only), fp (the API certificate's SHA-256 pin, base64url; peers
 * connect to the API only to a certificate with this pin), g (generation), sup (the node ID this
 * node supports as seed while the seed election runs; optional, so adverts without it stay valid),
 * si (`1` when that support is indirect: the node does not see that candidate itself), sig (HMAC,
 * see signature.ts). Every field but sig is signed.
 */
import { ValidationError, type ValidationIssue } from '../errors.js';
import { isNodeState, type NodeStateName } from '../node/node-state.js';
import { CLUSTER_ID, DECIMAL, FLEET_ID, NODE_ID, SIGNATURE } from '../node/wire.js';
import { CERT_PIN } from '../node/cert-pin.js';
import { MAX_TXT_STRING, MAX_TXT_TOTAL, PROTOCOL_VERSION } from './constants.js';

export interface AdvertFields {
  version: number;
  nodeId: string;
  fleetId: string;
  state: NodeStateName;
  clusterId: string;
  k3sPort?: number;
  /** SHA-256 pin of the API certificate (base64url, 43 characters). */
  certPin?: string;
  generation: number;
  /** Node ID of the seed candidate this node supports (src/cluster/election.ts). */
  supports?: string;
  /** That candidate is not in this node's view: it supports it because others do. */
  supportsIndirect?: boolean;
}

export interface SignedAdvert extends AdvertFields {
  /** base64url HMAC-SHA256, 43 characters. */
  signature: string;
}

/** The TXT key/value pairs of an advert, signature last. Keys are fixed, values validated. */
export function advertToTxt(a: AdvertFields & { signature?: string }): Record<string, string> {
  const txt: Record<string, string> = {
    v: String(a.version),
    id: a.nodeId,
    fl: a.fleetId,
    st: a.state,
    cl: a.clusterId,
    g: String(a.generation),
  };
  if (a.k3sPort !== undefined) txt['kp'] = String(a.k3sPort);
  if (a.supports !== undefined) txt['sup'] = a.supports;
  if (a.supportsIndirect) txt['si'] = '1';
  if (a.certPin !== undefined) txt['fp'] = a.certPin;
  if (a.signature !== undefined) txt['sig'] = a.signature;
  return txt;
}

/**
 * TXT strings (as received: `key=value` byte strings) to a key/value map. Per RFC 6763 §6.4
 * keys are case-insensitive and only the first occurrence counts; strings without `=` are
 * boolean attributes and ignored here. Oversized strings are an issue, not a crash.
 */
export function parseTxtStrings(strings: readonly (Buffer | string)[]): {
  txt: Record<string, string>;
  issues: ValidationIssue[];
} {
  const txt: Record<string, string> = {};
  const issues: ValidationIssue[] = [];
  let total = 0;
  for (const raw of strings) {
    const buf = typeof raw === 'string' ? Buffer.from(raw) : raw;
    total += buf.length + 1;
    if (buf.length > MAX_TXT_STRING) {
      issues.push({ path: '/txt', message: `a TXT string is ${buf.length} bytes, more than ${MAX_TXT_STRING}` });
      continue;
    }
    const s = buf.toString('utf8');
    const eq = s.indexOf('=');
    if (eq <= 0) continue;
    const key = s.slice(0, eq).toLowerCase();
    if (Object.hasOwn(txt, key)) continue;
    txt[key] = s.slice(eq + 1);
  }
  if (total > MAX_TXT_TOTAL * 4) issues.push({ path: '/txt', message: `TXT record is ${total} bytes, too large` });
  return { txt, issues };
}

function need(txt: Record<string, string>, key: string, issues: ValidationIssue[]): string | undefined {
  const v = txt[key];
  if (v === undefined) issues.push({ path: `/txt/${key}`, message: 'missing' });
  return v;
}

/** Validate a TXT map as a signed nucmesh advert. Throws ValidationError naming every bad field. */
export function advertFromTxt(txt: Record<string, string>): SignedAdvert {
  const issues: ValidationIssue[] = [];
  const v = need(txt, 'v', issues);
  const id = need(txt, 'id', issues);
  const fl = need(txt, 'fl', issues);
  const st = need(txt, 'st', issues);
  const cl = txt['cl'] ?? '';
  const g = need(txt, 'g', issues);
  const sig = need(txt, 'sig', issues);
  const kp = txt['kp'];
  const sup = txt['sup'];
  const si = txt['si'];
  const fp = txt['fp'];
  if (v !== undefined && v !== String(PROTOCOL_VERSION))
    issues.push({ path: '/txt/v', message: `expected protocol version ${PROTOCOL_VERSION}, got '${v.slice(0, 16)}'` });
  if (id !== undefined && !NODE_ID.test(id))
    issues.push({ path: '/txt/id', message: 'expected a node ID (lowercase letters, digits, dashes; at most 63)' });
  if (sup !== undefined && !NODE_ID.test(sup))
    issues.push({ path: '/txt/sup', message: 'expected the node ID of a seed candidate' });
  if (si !== undefined && (si !== '1' || sup === undefined))
    issues.push({ path: '/txt/si', message: "expected '1', next to sup" });
  if (fl !== undefined && !FLEET_ID.test(fl))
    issues.push({ path: '/txt/fl', message: 'expected a fleet ID (16 hex digits)' });
  if (st !== undefined && !isNodeState(st))
    issues.push({ path: '/txt/st', message: `expected a node state, got '${st.slice(0, 16)}'` });
  if (!CLUSTER_ID.test(cl))
    issues.push({
      path: '/txt/cl',
      message: 'expected a cluster ID (lowercase letters, digits, dashes; at most 64) or empty',
    });
  if (g !== undefined && !DECIMAL.test(g))
    issues.push({ path: '/txt/g', message: 'expected a generation (a whole number)' });
  if (sig !== undefined && !SIGNATURE.test(sig))
    issues.push({ path: '/txt/sig', message: 'expected a base64url HMAC-SHA256 (43 characters)' });
  let k3sPort: number | undefined;
  if (kp !== undefined) {
    k3sPort = DECIMAL.test(kp) ? Number(kp) : NaN;
    if (!(k3sPort >= 1 && k3sPort <= 65535))
      issues.push({ path: '/txt/kp', message: 'expected a port from 1 to 65535' });
  }
  if (fp !== undefined && !CERT_PIN.test(fp))
    issues.push({ path: '/txt/fp', message: 'expected a certificate pin (base64url SHA-256, 43 characters)' });
  if (issues.length > 0) throw new ValidationError('advert', issues);
  const advert: SignedAdvert = {
    version: PROTOCOL_VERSION,
    nodeId: id as string,
    fleetId: fl as string,
    state: st as NodeStateName,
    clusterId: cl,
    generation: Number(g),
    signature: sig as string,
  };
  if (k3sPort !== undefined) advert.k3sPort = k3sPort;
  if (sup !== undefined) advert.supports = sup;
  if (si === '1') advert.supportsIndirect = true;
  if (fp !== undefined) advert.certPin = fp;
  return advert;
}

/** Check our own advert before it goes out: same rules a receiver applies, plus TXT size limits. */
export function assertAdvertEncodable(txt: Record<string, string>): void {
  const issues: ValidationIssue[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(txt)) {
    const n = Buffer.byteLength(`${k}=${v}`);
    total += n + 1;
    if (n > MAX_TXT_STRING) issues.push({ path: `/txt/${k}`, message: `${n} bytes, more than ${MAX_TXT_STRING}` });
  }
  if (total > MAX_TXT_TOTAL) issues.push({ path: '/txt', message: `${total} bytes, more than ${MAX_TXT_TOTAL}` });
  if (issues.length > 0) throw new ValidationError('advert', issues);
}
