/** Next-item prediction metrics and the popularity baselines, pure. */

/** 1-based rank of `target` in `list` (first `k`), or 0 when absent. */
export function rankOf(list: readonly string[], target: string, k = 10): number {
  const i = list.slice(0, k).indexOf(target);
  return i < 0 ? 0 : i + 1;
}

export interface Score {
  n: number;
  hit_rate: number;
  mrr: number;
}

/** Hit rate@k and MRR@k from the ranks of each prediction (0 = missed). */
export function score(ranks: readonly number[]): Score {
  const n = ranks.length;
  const hits = ranks.filter((r) => r > 0).length;
  const rr = ranks.reduce((s, r) => s + (r > 0 ? 1 / r : 0), 0);
  return { n, hit_rate: n ? hits / n : 0, mrr: n ? rr / n : 0 };
}

/** Counts per product from training interactions; top lists excluding some ids. */
export class Popularity {
  private readonly counts = new Map<string, number>();
  private readonly group = new Map<string, string>();
  add(id: string, group: string, w = 1): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + w);
    this.group.set(id, group);
  }
  /** The k most counted products (in `group` when given), leaving out `except`. */
  top(k: number, except: ReadonlySet<string>, group?: string): string[] {
    return [...this.counts]
      .filter(([id]) => !except.has(id) && (group === undefined || this.group.get(id) === group))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, k)
      .map(([id]) => id);
  }
}
