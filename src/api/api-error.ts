/**
 * The one shape of every error the API answers with: `{statusCode, code, message}`, the code
 * from the error catalogue (src/errors.ts). Explicit refusals (403, 503), requests Fastify
 * could not take (400, 404, 413, 415) and bugs (500) alike; a bug's answer says only
 * "internal error", never its message or a stack trace.
 */
import type { ErrorCode } from '../errors.js';

export interface ApiError {
  /** The HTTP status, repeated in the body. */
  statusCode: number;
  code: ErrorCode;
  message: string;
}

export function apiError(statusCode: number, code: ErrorCode, message: string): ApiError {
  return { statusCode, code, message };
}

/** The answer to something thrown while handling a request. */
export function apiErrorOf(err: unknown): ApiError {
  const e = (err ?? {}) as { statusCode?: unknown; validation?: unknown; message?: unknown };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  // Fastify's own 4xx errors (validation, unreadable bodies) say what was wrong with the request.
  if (status < 400 || status >= 500) return apiError(500, 'E_INTERNAL', 'internal error');
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : 'bad request';
  if (e.validation !== undefined) return apiError(400, 'E_INVALID', message);
  if (status === 404) return apiError(404, 'E_NOT_FOUND', message);
  return apiError(status, 'E_BAD_REQUEST', message);
}
