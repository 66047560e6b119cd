/**
 * The joiner's side of the join exchange (src/node/join-wire.ts): ask a server peer for a
 * challenge, prove the fleet key over it and a fresh nonce, and accept the answer only when the
 * peer proves the fleet key back (so a rogue "server" cannot lure a NUC into its cluster).
 * The transport is passed in (`post`), so the same code runs over plain HTTP or pinned HTTPS.
 * Whatever goes wrong is a JoinError naming why, never the token or anything the peer sent.
 */
import { NucmeshError } from '../errors.js';
import {
  JOIN_RANDOM,
  newJoinRandom,
  joinerProof,
  openJoinAnswer,
  type JoinParties,
  type JoinRole,
} from '../node/join-wire.js';

/** A JSON POST to a peer: the answer's status and its body parsed (undefined when not JSON). */
export type JsonPost = (
  url: string,
  body: object,
  opts: { signal?: AbortSignal },
) => Promise<{ status: number; body: unknown }>;

export interface JoinPeer {
  nodeId: string;
  address: string;
  apiPort: number;
}

export interface JoinRequestOptions {
  fleetKey: Buffer;
  fleetId: string;
  /** The joiner's node ID. */
  nodeId: string;
  peer: JoinPeer;
  post: JsonPost;
  signal?: AbortSignal;
  /** The peer API's scheme (default http; https once the API has its pinned certificate). */
  scheme?: 'http' | 'https';
}

/** What the cluster gave this node: the token is a secret (write it with writeSecretFile). */
export interface JoinGrant {
  role: JoinRole;
  /** `https://IP:port` of a k3s server. */
  serverUrl: string;
  /** A full k3s token (K10 with the CA hash): the server token, or the agent token. */
  token: string;
  clusterId: string;
}

export type JoinFailure =
  /** The peer refused (it does not take our proof, or we do not know its fleet). */
  | 'refused'
  /** The peer limits our address: try later. */
  | 'rate-limited'
  /** The peer cannot take joiners now (its k3s tokens are not ready, or it is no server yet). */
  | 'unavailable'
  /** A server slot is being filled: ask again after `retryAfterMs`. */
  | 'wait'
  /** The peer does not grant roles: ask `registrarNodeId`. */
  | 'ask-registrar'
  /** The answer's proof does not verify: the peer does not hold the fleet key (a rogue). */
  | 'bad-server-proof'
  /** The answer is not what a nucmesh server sends. */
  | 'garbled'
  /** The peer could not be reached (or the request was aborted). */
  | 'unreachable';

export class JoinError extends NucmeshError {
  readonly reason: JoinFailure;
  /** For `wait`: when to ask again. */
  readonly retryAfterMs: number | undefined;
  /** For `ask-registrar`: the node that grants roles. */
  readonly registrarNodeId: string | undefined;
  constructor(
    reason: JoinFailure,
    peer: JoinPeer,
    detail: string,
    extra: { retryAfterMs?: number; registrarNodeId?: string; cause?: unknown } = {},
  ) {
    const { cause, ...data } = extra;
    super('E_JOIN_FAILED', `joining through ${peer.nodeId} (${peer.address}): ${reason}: ${detail}`, {
      data: { reason, peer: peer.nodeId, ...data },
      cause,
    });
    this.reason = reason;
    this.retryAfterMs = extra.retryAfterMs;
    this.registrarNodeId = extra.registrarNodeId;
  }
}

export function peerUrl(peer: JoinPeer, path: string, scheme: 'http' | 'https' = 'http'): string {
  const host = peer.address.includes(':') ? `[${peer.address}]` : peer.address;
  return `${scheme}://${host}:${peer.apiPort}${path}`;
}

function refusalOf(status: number, peer: JoinPeer): JoinError {
  if (status === 403) return new JoinError('refused', peer, 'the peer refused the join request');
  if (status === 429) return new JoinError('rate-limited', peer, 'the peer limits requests from this address');
  if (status === 503) return new JoinError('unavailable', peer, 'the peer takes no joiners now');
  return new JoinError('garbled', peer, `unexpected HTTP status ${status}`);
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

export async function requestJoin(o: JoinRequestOptions): Promise<JoinGrant> {
  const { peer } = o;
  const send = async (path: string, body: object): Promise<Record<string, unknown>> => {
    let answer: { status: number; body: unknown };
    try {
      answer = await o.post(peerUrl(peer, path, o.scheme), body, o.signal ? { signal: o.signal } : {});
    } catch (e) {
      throw new JoinError('unreachable', peer, `POST ${path} failed (${(e as Error).name})`, { cause: e });
    }
    if (answer.status !== 200) throw refusalOf(answer.status, peer);
    if (!isObject(answer.body)) throw new JoinError('garbled', peer, `the answer to ${path} is not a JSON object`);
    return answer.body;
  };

  const c = await send('/v1/join/challenge', { fleetId: o.fleetId });
  if (typeof c['challenge'] !== 'string' || !JOIN_RANDOM.test(c['challenge'])) {
    throw new JoinError('garbled', peer, 'the challenge is not 32 bytes of base64url');
  }
  if (c['serverNodeId'] !== peer.nodeId) {
    throw new JoinError('bad-server-proof', peer, 'the peer names another node ID than the one it advertises');
  }
  const parties: JoinParties = {
    fleetId: o.fleetId,
    challenge: c['challenge'],
    nonce: newJoinRandom(),
    joinerNodeId: o.nodeId,
    serverNodeId: peer.nodeId,
  };
  const a = await send('/v1/join', {
    fleetId: o.fleetId,
    nodeId: o.nodeId,
    challenge: parties.challenge,
    nonce: parties.nonce,
    proof: joinerProof(o.fleetKey, parties),
  });
  const { iv, sealed, proof } = a;
  if (typeof iv !== 'string' || typeof sealed !== 'string' || typeof proof !== 'string') {
    throw new JoinError('garbled', peer, 'the join answer lacks iv, sealed or proof');
  }
  const opened = openJoinAnswer(o.fleetKey, parties, { iv, sealed, proof });
  if (!opened.ok) {
    const detail =
      opened.why === 'bad-server-proof'
        ? 'the answer does not prove the fleet key: the peer is not of our fleet'
        : 'the sealed answer does not open to a valid decision';
    throw new JoinError(opened.why, peer, detail);
  }
  const d = opened.decision;
  if (d.decision === 'wait') {
    throw new JoinError('wait', peer, `a server slot is being filled; ask again in ${d.retryAfterMs} ms`, {
      retryAfterMs: d.retryAfterMs,
    });
  }
  if (d.decision === 'ask') {
    throw new JoinError('ask-registrar', peer, `server slots are granted by ${d.registrarNodeId}`, {
      registrarNodeId: d.registrarNodeId,
    });
  }
  return { role: d.role, serverUrl: d.serverUrl, token: d.token, clusterId: d.clusterId };
}
