/** Request and response schemas of the API routes (one per route and direction). */
import { Type, type Static } from '@sinclair/typebox';
import { ERROR_CODES } from '../errors.js';
import { NODE_STATES } from '../node/node-state.js';
import { ACCEPTED_NOTICE_VERDICTS } from '../node/notice.js';
import { FLEET_ID, NODE_ID, SIGNATURE } from '../node/wire.js';

/**
 * A string from a fixed list, as a plain JSON Schema `enum` (not TypeBox's union of literals:
 * Fastify compiles a serializer per route and status, and a 30-branch anyOf costs ~10 ms each).
 */
export function stringEnum<T extends string>(
  values: readonly T[],
  options: { description?: string; default?: T } = {},
) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

/** `type` or null, as `type: [type, 'null']` (cheap to serialize, unlike anyOf). */
export function nullable<T extends 'string' | 'integer' | 'number' | 'boolean'>(type: T) {
  type V = { string: string; integer: number; number: number; boolean: boolean }[T];
  return Type.Unsafe<V | null>({ type: [type, 'null'] });
}

export const State = stringEnum(NODE_STATES);

export const HealthResponse = Type.Object(
  {
    status: Type.Literal('ok'),
    nodeId: Type.String(),
    state: State,
    /** Why the node is blocked and what to do (no-fleet-config, bad-fleet-config, failed). */
    detail: Type.Optional(Type.String()),
    /** The boot step under way. */
    step: Type.Optional(Type.String()),
    version: Type.String(),
  },
  { additionalProperties: false },
);
export type HealthResponse = Static<typeof HealthResponse>;

export const HeartbeatRequest = Type.Object(
  {
    nonce: Type.String({
      pattern: '^[A-Za-z0-9_-]{16,64}$',
      description: 'a random base64url nonce of 16 to 64 characters',
    }),
  },
  { additionalProperties: false },
);
export type HeartbeatRequest = Static<typeof HeartbeatRequest>;

export const HeartbeatResponse = Type.Object(
  {
    nodeId: Type.String(),
    generation: Type.Integer({ minimum: 0 }),
    state: State,
    proof: Type.String({ description: 'base64url HMAC-SHA256(fleet key, tag, nonce, nodeId, generation)' }),
  },
  { additionalProperties: false },
);
export type HeartbeatResponse = Static<typeof HeartbeatResponse>;

/** Every error answer (src/api/api-error.ts): the HTTP status again, a catalogue code, a sentence. */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer({ minimum: 400, maximum: 599 }),
    code: stringEnum(ERROR_CODES),
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

const NodeId = Type.String({ pattern: NODE_ID.source, description: 'a node ID' });

/** A ring monitor's signed down notice (src/node/notice.ts, src/discovery/down-notice.ts), sent to every peer. */
export const DownNoticeRequest = Type.Object(
  {
    subject: NodeId,
    generation: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    reporter: NodeId,
    fleetId: Type.String({ pattern: FLEET_ID.source, description: 'the fleet ID (16 hex digits)' }),
    mac: Type.String({ pattern: SIGNATURE.source, description: 'base64url HMAC-SHA256 with the fleet key' }),
  },
  { additionalProperties: false },
);
export type DownNoticeRequest = Static<typeof DownNoticeRequest>;

export const DownNoticeResponse = Type.Object(
  { verdict: stringEnum(ACCEPTED_NOTICE_VERDICTS) },
  { additionalProperties: false },
);
