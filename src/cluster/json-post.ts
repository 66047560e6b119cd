/**
 * A JsonPost over plain HTTP (node:http): what the join client uses until the API moves to
 * HTTPS with a pinned certificate. The answer is read up to `maxBytes` (a peer cannot make us
 * buffer more) and parsed as JSON; a body that is not JSON comes back as undefined.
 */
import http from 'node:http';
import type { JsonPost } from './join-client.js';

export function plainHttpPost(opts: { timeoutMs?: number; maxBytes?: number } = {}): JsonPost {
  const maxBytes = opts.maxBytes ?? 16_384;
  return (url, body, { signal }) =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = http.request(url, {
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
