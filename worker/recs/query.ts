/**
 * The query of /v1/recommendations/:site/:id (and the body of its POST), checked: every
 * refusal names the parameter. Pure.
 */
import type { FieldError } from "../lib/validate";

export const MAX_LIMIT = 50;
export const DEFAULT_LIMIT = 10;
export const MAX_EXCLUDE = 100;
export const MAX_CANDIDATES = 100;

export interface RecOptions {
  limit: number;
  context: string | null;
  category: string | null;
  exclude: string[];
  /** Cart items are left out unless `cart=include`. */
  includeCart: boolean;
  /** POST: re-rank exactly these (deduplicated, in the given order for ties). */
  candidates: string[] | null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; details: FieldError[] };

const ID_RE = /^[^\u0000-\u001f\u007f]{1,128}$/;
const isId = (s: string) => ID_RE.test(s);

/** Query parameters of GET and POST (unknown parameters are ignored; a repeated one is refused). */
export function parseRecQuery(params: URLSearchParams, candidates: string[] | null = null): Parsed<RecOptions> {
  const details: FieldError[] = [];
  const one = (name: string): string | null => {
    const all = params.getAll(name);
    if (all.length > 1) details.push({ path: name, message: `given ${all.length} times; give it once` });
    return all[0] ?? null;
  };
  const rawLimit = one("limit");
  let limit = candidates ? Math.min(MAX_LIMIT, candidates.length) : DEFAULT_LIMIT;
  if (rawLimit !== null) {
    if (!/^\d{1,3}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_LIMIT) details.push({ path: "limit", message: `expected a whole number from 1 to ${MAX_LIMIT}` });
    else limit = Number(rawLimit);
  }
  const context = one("context");
  if (context !== null && !isId(context)) details.push({ path: "context", message: "expected a product id: 1-128 characters, no control characters" });
  const category = one("category");
  if (category !== null && !isId(category)) details.push({ path: "category", message: "expected a category: 1-128 characters, no control characters" });
  const rawExclude = one("exclude");
  let exclude: string[] = [];
  if (rawExclude !== null) {
    exclude = rawExclude.split(",").map((s) => s.trim());
    if (exclude.length > MAX_EXCLUDE) details.push({ path: "exclude", message: `at most ${MAX_EXCLUDE} product ids` });
    else if (!exclude.every(isId)) details.push({ path: "exclude", message: "expected comma-separated product ids: each 1-128 characters, no control characters" });
  }
  const cart = one("cart");
  if (cart !== null && cart !== "include" && cart !== "exclude") details.push({ path: "cart", message: 'expected "include" or "exclude" (the default)' });
  if (details.length) return { ok: false, details };
  return { ok: true, value: { limit, context, category, exclude: [...new Set(exclude)], includeCart: cart === "include", candidates } };
}

/** The POST body: {"candidates": ["sku-1", ...]} (1-100 product ids), nothing else. */
export function parseCandidates(body: unknown): Parsed<string[]> {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { ok: false, details: [{ path: "(root)", message: 'expected {"candidates": ["<product id>", ...]}' }] };
  const extra = Object.keys(body).filter((k) => k !== "candidates");
  if (extra.length) return { ok: false, details: extra.slice(0, 10).map((k) => ({ path: k.slice(0, 64) || "\"\"", message: "unknown field" })) };
  const c = (body as { candidates?: unknown }).candidates;
  if (!Array.isArray(c) || c.length < 1 || c.length > MAX_CANDIDATES) return { ok: false, details: [{ path: "candidates", message: `expected an array of 1 to ${MAX_CANDIDATES} product ids` }] };
  const bad = c.findIndex((x) => typeof x !== "string" || !isId(x));
  if (bad >= 0) return { ok: false, details: [{ path: `candidates[${bad}]`, message: "expected a product id: 1-128 characters, no control characters" }] };
  return { ok: true, value: [...new Set(c as string[])] };
}
