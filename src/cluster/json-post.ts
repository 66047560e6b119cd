/**
 * A JsonPost over HTTPS pinned to the peer's certificate (its pin from the signed advert: a peer
 * API speaks HTTPS to anyone but loopback), or over plain HTTP (loopback tests). The answer is
 * read up to `maxBytes` (a peer cannot make us buffer more) and parsed as JSON; a body that is not
 * JSON comes back as undefined.
 */
import http from 'node:http';
import https from 'node:https';
import { createPinnedAgent } from '../node/cert-pin.js';
import type { JsonPost } from './join-client.js';

export interface PostOptions {
  timeoutMs?: number;
  maxBytes?: number;
}

export function plainHttpPost(opts: PostOptions = {}): JsonPost {
  return jsonPost(http.request, opts);
}

/** HTTPS to a peer whose certificate must have `pin` (a fresh, pinned connection per call). */
export function pinnedHttpsPost(pin: string, opts: PostOptions = {}): JsonPost {
  const request = ((url: string, o: https.RequestOptions) =>
    https.request(url, { ...o, agent: createPinnedAgent(), pin } as https.RequestOptions)) as typeof http.request;
  return jsonPost(request, opts);
}

function jsonPost(request: typeof http.request, opts: PostOptions): JsonPost {
  const maxBytes = opts.maxBytes ?? 16_384;
  return (url, body, { signal }) =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
        timeout: opts.timeoutMs ?? 5000,
        ...(signal ? { signal } : {}),
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size > maxBytes) req.destroy(Object.assign(new Error('answer too large'), { name: 'TooLargeError' }));
          else chunks.push(d);
        });
        res.on('error', reject);
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.end(text);
    });
}
