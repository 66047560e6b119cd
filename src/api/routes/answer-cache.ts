/**
 * An answer's bytes, kept while what it was made from is the same and for at most `maxAgeMs`:
 * a route polled by scripts, the status page and benchmarks serializes once, not per request.
 * `key` is an object that is replaced whenever the answer would change (the node state
 * snapshot); the age bounds what changes without a new key (uptime, addresses).
 */
export interface AnswerCache {
  get(key: object, make: () => string): Buffer;
}

export function answerCache(maxAgeMs: number, now: () => number = () => performance.now()): AnswerCache {
  let kept: { at: number; key: object; body: Buffer } | undefined;
  return {
    get(key, make) {
      const t = now();
      if (kept && kept.key === key && t - kept.at < maxAgeMs) return kept.body;
      const body = Buffer.from(make());
      kept = { at: t, key, body };
      return body;
    },
  };
}
