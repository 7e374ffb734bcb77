/**
 * A per-isolate cache of site-wide item knowledge that a request never waits for once warm.
 * Site-wide statistics change at most once per consumer batch and may be seconds old (the
 * contract allows 15 s from event to answer), so a product's neighbours, attributes and a
 * site's trending lists are read from their objects once per isolate per refresh, not once
 * per page view:
 *
 *   - an entry is served while younger than `maxAgeMs`; older, or never read, is a miss that
 *     the request reads itself (and waits for);
 *   - every `freshMs` the entries that requests used since they were last loaded are read
 *     again in the background, all at once (one RPC per shard: recommend.ts), and entries
 *     nobody used are dropped; so a busy isolate serves entries at most ~`freshMs` old and
 *     never waits, and an idle one waits once.
 *
 * Bounded: at most `maxEntries`, the oldest set first out.
 */

/**
 * The recommendations' settings: refreshed every 2 s while used, never served older than 5 s.
 * Event to answer: flush (5 s) + consumer batch (2 s) + consumer run (< 1 s) + 5 s = at most
 * ~13 s, under the contract's 15 s; under steady traffic the cache adds ~2 s, not 5.
 */
export const ITEM_CACHE = { freshMs: 2000, maxAgeMs: 5000 } as const;
export class SwrCache<V> {
  private readonly map = new Map<string, { at: number; v: V; used: boolean }>();
  constructor(
    private readonly maxEntries: number,
    readonly freshMs: number,
    readonly maxAgeMs: number,
  ) {}

  /** `undefined`: not cached, or older than maxAgeMs (then forgotten); a cached `null` means "known not to exist". */
  get(key: string, now: number): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (now - e.at > this.maxAgeMs) {
      this.map.delete(key);
      return undefined;
    }
    e.used = true;
    return e.v;
  }

  /** A value read at `at` (the time its read began, so its age is never understated); a value read later stays. */
  set(key: string, v: V, at: number): void {
    const cur = this.map.get(key);
    if (cur && cur.at > at) return; // a later read got there first
    this.map.delete(key);
    this.map.set(key, { at, v, used: false });
    if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /**
   * What a refresh at `now` reads again: the entries used since they were loaded and loaded
   * at least freshMs / 2 ago (those a miss loaded just now wait for the next refresh). Entries
   * nobody used and older than freshMs leave the cache here.
   */
  sweep(now: number): string[] {
    const again: string[] = [];
    for (const [k, e] of this.map) {
      if (e.used) {
        if (now - e.at >= this.freshMs / 2) again.push(k);
      } else if (now - e.at > this.freshMs) this.map.delete(k);
    }
    return again;
  }

  get size(): number {
    return this.map.size;
  }
}
