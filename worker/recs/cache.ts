/**
 * A small per-isolate cache with a time to live: site-wide item statistics change at most
 * once per consumer batch and may be seconds old (the contract allows 15 s), so a hot product's
 * neighbours, attributes and a site's trending lists are read from their objects once per
 * isolate per TTL, not once per page view. Bounded: the oldest entries go first.
 */
export class TtlCache<V> {
  private readonly map = new Map<string, { at: number; v: V }>();
  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  /** `undefined`: not cached (or expired); a cached `null` means "known not to exist". */
  get(key: string, now: number): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (now - e.at > this.ttlMs) {
      this.map.delete(key);
      return undefined;
    }
    return e.v;
  }

  set(key: string, v: V, now: number): void {
    this.map.delete(key);
    this.map.set(key, { at: now, v });
    if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}
