/**
 * Self-suspicion (as in Lifeguard, SWIM's refinement): when this node's own heartbeats to
 * several different peers time out at about the same time, the likelier explanation is that
 * this node is the slow one (CPU starvation, a saturated link, a partition on our side), not
 * that several peers died at once. A node that suspects itself does not count timeouts
 * against its peers; definite failures (connection refused or reset) still count, since they
 * are answers from the peer's host.
 *
 * Pure: the caller records outcomes with the time and asks with the time.
 */
export interface ProbeRecord {
  peer: string;
  outcome: 'alive' | 'unknown';
  at: number;
}

export interface SelfSuspicionOptions {
  /** How far back outcomes count. */
  windowMs: number;
  /** Distinct peers that must have timed out within the window. */
  minPeers: number;
  /** Share of the distinct peers probed in the window that timed out at least once. */
  minShare: number;
}

export const DEFAULT_SELF_SUSPICION: SelfSuspicionOptions = { windowMs: 8000, minPeers: 2, minShare: 0.5 };

/** Whether the recent outcomes say that we, not our peers, are the problem. */
export function suspectSelf(
  records: readonly ProbeRecord[],
  now: number,
  opts: SelfSuspicionOptions = DEFAULT_SELF_SUSPICION,
): boolean {
  const probed = new Set<string>();
  const timedOut = new Set<string>();
  for (const r of records) {
    if (now - r.at > opts.windowMs || r.at > now) continue;
    probed.add(r.peer);
    if (r.outcome === 'unknown') timedOut.add(r.peer);
  }
  return timedOut.size >= opts.minPeers && timedOut.size / probed.size >= opts.minShare;
}

/** Keeps the records `suspectSelf` needs, pruned by age. */
export class ProbeHistory {
  readonly #records: ProbeRecord[] = [];
  readonly #opts: SelfSuspicionOptions;

  constructor(opts: SelfSuspicionOptions = DEFAULT_SELF_SUSPICION) {
    this.#opts = opts;
  }

  record(peer: string, outcome: 'alive' | 'unknown', at: number): void {
    this.#records.push({ peer, outcome, at });
    while (this.#records.length > 0 && at - (this.#records[0] as ProbeRecord).at > this.#opts.windowMs)
      this.#records.shift();
  }

  suspectSelf(now: number): boolean {
    return suspectSelf(this.#records, now, this.#opts);
  }
}

/**
 * When to probe a peer that someone on the LAN asked after (an unanswered SRV query): once per
 * suspicion episode, at a uniformly random moment within `jitterMs`, so that the N−1 nodes that
 * all heard the same query do not hit the suspect in the same instant. `undefined` = do not
 * probe (one is pending, or we probed it for a suspicion less than `cooldownMs` ago).
 */
export function suspicionProbeAt(
  now: number,
  lastSuspicionProbeAt: number,
  pending: boolean,
  cooldownMs: number,
  jitterMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (pending || now - lastSuspicionProbeAt < cooldownMs) return undefined;
  return now + random() * jitterMs;
}
