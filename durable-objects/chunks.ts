/** Grouping buffered records into Queue messages and sendBatch calls within Cloudflare's limits. */

/** Queue: 128 KB per message; sendBatch: at most 100 messages and 256 KB. Keep headroom. */
export const MAX_MESSAGE_BYTES = 120_000;
export const MAX_BATCH_BYTES = 240_000;
export const MAX_BATCH_MESSAGES = 100;

/** Splits rows (in order) into runs whose summed bytes stay under maxBytes (a lone big row gets its own run). */
export function splitBySize<T extends { bytes: number }>(rows: readonly T[], maxBytes: number, maxCount = Infinity): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let size = 0;
  for (const r of rows) {
    if (cur.length > 0 && (size + r.bytes > maxBytes || cur.length >= maxCount)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += r.bytes;
  }
  if (cur.length) out.push(cur);
  return out;
}
