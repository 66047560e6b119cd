/**
 * Per-source token buckets with a bounded number of tracked sources, so a flood from one
 * address is cut off and a flood from many spoofed addresses cannot grow memory. Used for mDNS
 * packets (src/discovery/) and join attempts (src/cluster/join-server.ts).
 */
export interface RateLimitOptions {
  /** Sustained packets per second per source. */
  ratePerSecond: number;
  /** Burst size. */
  burst: number;
  /** Most sources tracked at once; the least recently seen is forgotten first. */
  maxSources: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { ratePerSecond: 20, burst: 60, maxSources: 1024 };

interface Bucket {
  tokens: number;
  at: number;
}

export class SourceRateLimiter {
  readonly #opts: RateLimitOptions;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;
  dropped = 0;

  constructor(opts: RateLimitOptions = DEFAULT_RATE_LIMIT, now: () => number = () => performance.now()) {
    this.#opts = opts;
    this.#now = now;
  }

  get trackedSources(): number {
    return this.#buckets.size;
  }

  /** Take one token for `source`; false (and counted) when the source is over its rate. */
  allow(source: string): boolean {
    const b = this.#refilled(source);
    if (b.tokens < 1) {
      this.dropped++;
      return false;
    }
    b.tokens -= 1;
    return true;
  }

  /** How long until `source` has a token again (0 when it has one now); takes none. */
  waitMs(source: string): number {
    const b = this.#refilled(source);
    return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / this.#opts.ratePerSecond) * 1000);
  }

  /** The source's bucket, refilled up to now and moved to the most recently seen end. */
  #refilled(source: string): Bucket {
    const t = this.#now();
    let b = this.#buckets.get(source);
    if (b) {
      this.#buckets.delete(source);
      b.tokens = Math.min(this.#opts.burst, b.tokens + ((t - b.at) / 1000) * this.#opts.ratePerSecond);
      b.at = t;
    } else {
      b = { tokens: this.#opts.burst, at: t };
      if (this.#buckets.size >= this.#opts.maxSources) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    this.#buckets.set(source, b);
    return b;
  }
}
