/**
 * The operator's lake reads (routes/lake.ts) check their input here before R2 sees it: R2
 * refuses an object name over 1,024 bytes with an error, which would otherwise be a 500.
 */
import type { FieldError } from "../lib/validate";

/** R2's limit on an object name (and so on anything worth listing by), in UTF-8 bytes. */
export const R2_KEY_MAX_BYTES = 1024;
export const LIST_MAX = 1000;

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** Why `key` cannot name a lake object, or null. */
export function lakeKeyError(key: string): FieldError | null {
  if (key === "") return { path: "key", message: "expected an object key, e.g. events/dt=2026-11-30/hr=12/….ndjson.gz" };
  const n = bytes(key);
  return n > R2_KEY_MAX_BYTES ? { path: "key", message: `at most ${R2_KEY_MAX_BYTES} bytes (R2's limit on an object name); got ${n}` } : null;
}

export interface ListQuery {
  prefix: string;
  cursor: string | undefined;
  limit: number;
}

/** `?prefix=&cursor=&limit=` of a lake listing, or the fields that are wrong. */
export function listQuery(q: { prefix?: string; cursor?: string; limit?: string }): ListQuery | FieldError[] {
  const errors: FieldError[] = [];
  const prefix = q.prefix ?? "";
  if (bytes(prefix) > R2_KEY_MAX_BYTES) errors.push({ path: "prefix", message: `at most ${R2_KEY_MAX_BYTES} bytes (no longer key exists)` });
  const limit = q.limit === undefined ? LIST_MAX : Number(q.limit);
  if (q.limit !== undefined && (q.limit.trim() === "" || !Number.isInteger(limit) || limit < 1 || limit > LIST_MAX)) errors.push({ path: "limit", message: `expected an integer from 1 to ${LIST_MAX}` });
  return errors.length ? errors : { prefix, cursor: q.cursor || undefined, limit };
}
