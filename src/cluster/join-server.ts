/**
 * The server side of the join exchange (src/node/join-wire.ts has the protocol and why): issues
 * one-time challenges, checks a joiner's proof of the fleet key, asks the registrar for the role
 * and seals the answer with the role, the k3s server URL and the token for that role (the server
 * token for servers, the agent token for agents).
 *
 * Every failed check gives the same refusal; the reason goes to the debug log, with the source
 * address and never a secret. Each source may fail `failures.burst` times, then once per
 * 1/`failures.ratePerSecond` s; requests of any kind are limited too, and outstanding challenges
 * are bounded, so nobody can flood the server's memory. Every outcome is counted, in `counters`
 * and in the node's metrics registry (`nucmesh_join_requests_total{outcome}`) when given one.
 */
import type { Logger } from '../log.js';
import type { NodeMetrics } from '../node/metrics.js';
import {
  isFullK3sToken,
  isK3sServerUrl,
  newJoinRandom,
  sealJoinAnswer,
  verifyJoinerProof,
  type JoinAnswer,
  type JoinChallengeAnswer,
  type JoinChallengeRequest,
  type JoinDecision,
  type JoinEndpoint,
  type JoinParties,
  type JoinRefusal,
  type JoinRequest,
} from '../node/join-wire.js';
import { SourceRateLimiter, type RateLimitOptions } from '../node/rate-limit.js';
import {
  askRegistrar,
  createLedgerRegistrar,
  withPromotions,
  type Assignment,
  type Registrar,
} from './join-registrar.js';

export interface JoinTokens {
  /** The full server token (`K10<CA hash>::server:…`, k3s `server/token`). */
  server: string;
  /** The full agent token (k3s `server/agent-token`): joins agents, not servers. */
  agent: string;
}

export interface JoinServerOptions {
  fleetKey: Buffer;
  fleetId: string;
  /** This server's node ID. */
  nodeId: string;
  dataDir: string;
  /** Servers wanted (fleet config `servers`). */
  servers: number;
  clusterId: string;
  /** The k3s server URL joiners are given (`https://IP:6443`). */
  serverUrl(): string;
  /** Read from k3s' own token files (once k3s is up): secrets, never logged. */
  tokens(): Promise<JoinTokens>;
  /** Is this node Ready as a cluster server (settles a pending server slot)? */
  isServerReady(nodeId: string): boolean;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
  log: Logger;
  /**
   * The node that grants server slots (the seed). When it is this node, the slots are kept in
   * `<dataDir>/join-ledger.json` (createLedgerRegistrar); any other server sends joiners there.
   * Required, so no server ever keeps a second ledger by default.
   */
  registrarNodeId: string;
  /** Replaces the registrar chosen by `registrarNodeId` (tests; a cluster-held registrar later). */
  registrar?: Registrar;
  /** Is this joiner marked by the cluster to become a server (a lost server's replacement)? */
  promoted?(nodeId: string): Promise<boolean>;
  /** The ledger's release time of a pending server grant (default 10 min, join-registrar.ts). */
  releaseAfterMs?: number;
  /** What joiners told to wait for a server slot are told to wait for (default 10 s). */
  waitMs?: number;
  challengeTtlMs?: number;
  /** Most challenges outstanding at once (the oldest is dropped). */
  maxChallenges?: number;
  /** Failed attempts per source. */
  failures?: RateLimitOptions;
  /** Requests of any kind per source. */
  requests?: RateLimitOptions;
  /** The registry the outcomes are counted in too (GET /metrics). */
  metrics?: Pick<NodeMetrics, 'joinRequests'>;
}

export const JOIN_OUTCOMES = [
  'challenge',
  'server',
  'agent',
  'wait',
  'ask',
  'refused',
  'garbage',
  'rate-limited',
  'unavailable',
] as const;
export type JoinOutcome = (typeof JOIN_OUTCOMES)[number];
export type JoinCounters = Record<JoinOutcome, number>;

export interface JoinServer extends JoinEndpoint {
  /** How often each outcome happened. */
  readonly counters: Readonly<JoinCounters>;
}

export const DEFAULT_CHALLENGE_TTL_MS = 30_000;
export const DEFAULT_JOIN_FAILURES: RateLimitOptions = { ratePerSecond: 0.2, burst: 5, maxSources: 1024 };
export const DEFAULT_JOIN_REQUESTS: RateLimitOptions = { ratePerSecond: 2, burst: 20, maxSources: 1024 };

const REFUSED: JoinRefusal = { refusal: 'refused' };
const UNAVAILABLE: JoinRefusal = { refusal: 'unavailable' };

export function createJoinServer(o: JoinServerOptions): JoinServer {
  const now = o.now ?? (() => performance.now());
  const ttl = o.challengeTtlMs ?? DEFAULT_CHALLENGE_TTL_MS;
  const maxChallenges = o.maxChallenges ?? 256;
  const failures = new SourceRateLimiter(o.failures ?? DEFAULT_JOIN_FAILURES, now);
  const requests = new SourceRateLimiter(o.requests ?? DEFAULT_JOIN_REQUESTS, now);
  const chosen =
    o.registrar ??
    (o.registrarNodeId !== o.nodeId ? askRegistrar(o.registrarNodeId) : undefined) ??
    createLedgerRegistrar({
      dataDir: o.dataDir,
      selfNodeId: o.nodeId,
      servers: o.servers,
      isServerReady: o.isServerReady,
      now,
      log: o.log,
      ...(o.releaseAfterMs !== undefined ? { releaseAfterMs: o.releaseAfterMs } : {}),
      ...(o.waitMs !== undefined ? { retryAfterMs: o.waitMs } : {}),
    });
  const registrar = o.promoted ? withPromotions(chosen, o.promoted) : chosen;
  /** Outstanding challenges and when each expires; a Map keeps them oldest first. */
  const challenges = new Map<string, number>();
  const counters = Object.fromEntries(JOIN_OUTCOMES.map((k) => [k, 0])) as JoinCounters;
  // Every outcome's series exists from the start (at 0), so a rate over it is defined.
  for (const outcome of JOIN_OUTCOMES) o.metrics?.joinRequests.inc({ outcome }, 0);
  const count = (outcome: JoinOutcome): void => {
    counters[outcome]++;
    o.metrics?.joinRequests.inc({ outcome });
  };

  const fail = (source: string, reason: string, outcome: 'refused' | 'garbage' = 'refused'): JoinRefusal => {
    count(outcome);
    failures.allow(source);
    o.log.debug({ source, reason }, 'join refused');
    return REFUSED;
  };
  const unavailable = (reason: string, err?: unknown): JoinRefusal => {
    count('unavailable');
    const errCode = (err as { code?: unknown } | undefined)?.code;
    // Only the error's code: a parser's message could quote a token.
    o.log.warn({ reason, ...(typeof errCode === 'string' ? { errCode } : {}) }, 'join: cannot answer joiners');
    return UNAVAILABLE;
  };
  const sweep = (): void => {
    const t = now();
    for (const [c, expires] of challenges) if (expires <= t) challenges.delete(c);
    while (challenges.size >= maxChallenges) challenges.delete(challenges.keys().next().value as string);
  };

  const decisionFor = (a: Assignment, tokens: JoinTokens, serverUrl: string): JoinDecision => {
    if (a.kind === 'wait') return { decision: 'wait', retryAfterMs: a.retryAfterMs };
    if (a.kind === 'ask') return { decision: 'ask', registrarNodeId: a.registrarNodeId };
    const token = a.kind === 'server' ? tokens.server : tokens.agent;
    return { decision: 'join', role: a.kind, serverUrl, token, clusterId: o.clusterId };
  };

  return {
    counters,
    admit(source) {
      const waitMs = Math.max(failures.waitMs(source), requests.allow(source) ? 0 : requests.waitMs(source));
      if (waitMs === 0) return undefined;
      count('rate-limited');
      return { refusal: 'rate-limited', retryAfterMs: waitMs };
    },
    garbage(source) {
      fail(source, 'unreadable request', 'garbage');
    },
    challenge(body: JoinChallengeRequest, source): JoinChallengeAnswer | JoinRefusal {
      if (body.fleetId !== o.fleetId) return fail(source, 'unknown fleet');
      sweep();
      const challenge = newJoinRandom();
      challenges.set(challenge, now() + ttl);
      count('challenge');
      return { challenge, serverNodeId: o.nodeId, expiresInMs: ttl };
    },
    async join(body: JoinRequest, source): Promise<JoinAnswer | JoinRefusal> {
      // Spent by the first request naming it, whatever else is wrong with it: one guess per challenge.
      const expires = challenges.get(body.challenge);
      challenges.delete(body.challenge);
      if (body.fleetId !== o.fleetId) return fail(source, 'unknown fleet');
      if (expires === undefined) return fail(source, 'unknown or reused challenge');
      if (now() >= expires) return fail(source, 'expired challenge');
      const parties: JoinParties = {
        fleetId: o.fleetId,
        challenge: body.challenge,
        nonce: body.nonce,
        joinerNodeId: body.nodeId,
        serverNodeId: o.nodeId,
      };
      if (!verifyJoinerProof(o.fleetKey, parties, body.proof)) return fail(source, 'proof does not verify');
      let tokens: JoinTokens;
      try {
        tokens = await o.tokens();
      } catch (e) {
        return unavailable('the k3s tokens cannot be read', e);
      }
      if (!isFullK3sToken(tokens.server) || !isFullK3sToken(tokens.agent)) {
        return unavailable('the k3s tokens are not in the full K10<CA hash>:: form');
      }
      const serverUrl = o.serverUrl();
      if (!isK3sServerUrl(serverUrl)) return unavailable('the k3s server URL is not https://IP:port');
      let assignment: Assignment;
      try {
        assignment = await registrar.assign(body.nodeId);
      } catch (e) {
        return unavailable('the join ledger cannot be read or written', e);
      }
      count(assignment.kind);
      o.log.debug({ source, joiner: body.nodeId, outcome: assignment.kind }, 'join answered');
      return sealJoinAnswer(o.fleetKey, parties, decisionFor(assignment, tokens, serverUrl));
    },
  };
}
