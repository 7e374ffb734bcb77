/**
 * A zod schema's fast path for the common, valid input: compiled once from the schema's own
 * definition (zod stays the schema language and the only source of truth), it answers either
 * the exact value zod's `safeParse` would return (same keys, same key order, same values) or
 * UNSURE, and then the caller asks zod, which also words every error. zod without its JIT (as
 * in workerd, which forbids code generation) spends most of its time in generic machinery
 * (payloads, issue arrays, per-field closures): this walks the same checks without it.
 *
 * Only what is listed below is compiled; any other construct, check, option or flag (coerce,
 * transforms, refinements, defaults, custom `when`, other string formats) makes that part of
 * the schema UNSURE for every input, so it cannot accept what zod rejects. Each construct
 * mirrors zod's own code (zod/v4/core/schemas.js, checks.js) and answers UNSURE at anything
 * unusual rather than repeating zod's subtler rules:
 * - strict objects: every `for...in` key must be in the shape; a key is present by `in`; an
 *   absent key is allowed only for optional fields; a present `undefined` is UNSURE.
 * - strings: min/max length in UTF-16 units, only where they decide the same as zod's
 *   code-point count (at most `max` units; at least 2 x `min` units, or 1 for min 1); `regex`
 *   and `datetime` with the schema's own RegExp; `url` as zod checks it (trim, URL.canParse,
 *   tab and newline removed from the output) when it has no hostname/protocol/normalize option.
 * - numbers: finite; greater/less than; integer formats (safe integers) and their ranges.
 * - booleans, literals, enums, unions of literals, optional, unknown, arrays with length
 *   bounds, and discriminated unions (by a literal discriminator, no fallback).
 */
import type { z } from "zod";

export const UNSURE: unique symbol = Symbol("unsure");
export type Unsure = typeof UNSURE;
/** The value zod would return for `value`, or UNSURE (ask zod). Never throws, never mutates its input. */
export type FastParse<T> = (value: unknown) => T | Unsure;

type Fn = (v: unknown) => unknown;
interface Def {
  type: string;
  checks?: Schema[];
  check?: string;
  coerce?: boolean;
  format?: string;
  pattern?: RegExp;
  minimum?: number;
  maximum?: number;
  value?: unknown;
  inclusive?: boolean;
  when?: (p: { value: unknown; issues: unknown[] }) => boolean;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  innerType?: Schema;
  element?: Schema;
  options?: Schema[];
  discriminator?: string;
  unionFallback?: boolean;
  [k: string]: unknown;
}
interface Schema {
  _zod: { def: Def; traits: Set<string>; values?: Set<unknown>; optin?: string; optout?: string };
}

/** The schema's fast path; a schema with nothing compilable answers UNSURE for every input. */
export function fastParser<S extends z.ZodType>(schema: S): FastParse<z.output<S>> {
  const fn = compile(schema as unknown as Schema);
  return (fn ?? (() => UNSURE)) as FastParse<z.output<S>>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const ownChecks = (s: Schema): Schema[] => [...(s._zod.traits.has("$ZodCheck") ? [s] : []), ...(s._zod.def.checks ?? [])];
/** zod's length checks carry a default `when` (a non-nullish value with a length): true for every string and array. */
const lengthWhen = (d: Def) => d.when === undefined || (d.when({ value: "", issues: [] }) === true && d.when({ value: [], issues: [] }) === true);

function compile(s: Schema): Fn | null {
  const def = s._zod.def;
  if (def.coerce) return null;
  switch (def.type) {
    case "string":
      return stringParser(s);
    case "number":
      return numberParser(s);
    case "boolean":
      return ownChecks(s).length ? null : (v) => (typeof v === "boolean" ? v : UNSURE);
    case "literal":
    case "enum":
      return valueSet(s);
    case "unknown":
    case "any":
      return ownChecks(s).length ? null : (v) => v;
    case "optional": {
      if (ownChecks(s).length || def.innerType!._zod.optin === "defaulted") return null;
      const inner = compile(def.innerType!);
      return inner && ((v) => (v === undefined ? UNSURE : inner(v)));
    }
    case "union":
      return def.discriminator !== undefined ? discriminated(s) : valueSet(s);
    case "array":
      return arrayParser(s);
    case "object":
      return objectParser(s);
    default:
      return null;
  }
}

/** Literals, enums and unions of them: membership in zod's own value set. */
function valueSet(s: Schema): Fn | null {
  const def = s._zod.def;
  if (ownChecks(s).length) return null;
  if (def.type === "union" && !def.options!.every((o) => (o._zod.def.type === "literal" || o._zod.def.type === "enum") && !ownChecks(o).length)) return null;
  const values = s._zod.values;
  if (!values || values.has(undefined)) return null;
  return (v) => (values.has(v) ? v : UNSURE);
}

function stringParser(s: Schema): Fn | null {
  // Bounds in UTF-16 units where they decide as zod's code-point count does: at most `max`
  // units (code points <= units); at least 2 x `min` units (or 1 for min 1).
  let lo = 0;
  let hi = Infinity;
  const patterns: RegExp[] = [];
  let url = false;
  for (const c of ownChecks(s)) {
    const d = c._zod.def;
    if (d.check === "min_length" && lengthWhen(d)) lo = Math.max(lo, d.minimum! <= 1 ? d.minimum! : 2 * d.minimum!);
    else if (d.check === "max_length" && lengthWhen(d)) hi = Math.min(hi, d.maximum!);
    else if (d.check === "string_format" && (d.format === "regex" || d.format === "datetime") && d.pattern instanceof RegExp && !d.when) patterns.push(d.pattern);
    else if (d.check === "string_format" && d.format === "url" && c === s && !("normalize" in d) && !("hostname" in d) && !("protocol" in d) && !d.when) url = true;
    else return null;
  }
  // zod's url check runs first (the format schema is its own first check) and may change the value the others see.
  if (url) {
    const rest = bounded(lo, hi, patterns);
    return (v) => (typeof v === "string" ? urlValue(v, rest) : UNSURE);
  }
  const check = bounded(lo, hi, patterns);
  return (v) => (typeof v === "string" && check(v) ? v : UNSURE);
}

function bounded(lo: number, hi: number, patterns: RegExp[]): (v: string) => boolean {
  const re = patterns.length === 1 ? patterns[0]! : null;
  if (re)
    return (v) => {
      if (v.length < lo || v.length > hi) return false;
      re.lastIndex = 0;
      return re.test(v);
    };
  return (v) => {
    if (v.length < lo || v.length > hi) return false;
    for (const p of patterns) {
      p.lastIndex = 0;
      if (!p.test(v)) return false;
    }
    return true;
  };
}

const TAB_NL = /[\t\n\r]/g;
/** zod's url(): the trimmed text must parse; its output is that text without tabs and newlines, which the later checks see. */
function urlValue(v: string, rest: (v: string) => boolean): string | Unsure {
  const trimmed = v.trim();
  if (!URL.canParse(trimmed)) return UNSURE;
  const out = trimmed.includes("\t") || trimmed.includes("\n") || trimmed.includes("\r") ? trimmed.replace(TAB_NL, "") : trimmed;
  return rest(out) ? out : UNSURE;
}

/**
 * zod's ranges of its number formats (core.util.NUMBER_FORMAT_RANGES; the unit test checks
 * they are the same). Copied: importing zod's `core` would bundle all of it (+500 KB).
 */
export const NUMBER_FORMAT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  safeint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

function numberParser(s: Schema): Fn | null {
  // The conjunction of the bounds as one range: [lo, hi], each end inclusive or not.
  let lo = -Infinity;
  let loIn = true;
  let hi = Infinity;
  let hiIn = true;
  let int = false;
  const above = (b: number, inclusive: boolean) => {
    if (b > lo || (b === lo && !inclusive)) [lo, loIn] = [b, inclusive];
  };
  const below = (b: number, inclusive: boolean) => {
    if (b < hi || (b === hi && !inclusive)) [hi, hiIn] = [b, inclusive];
  };
  for (const c of ownChecks(s)) {
    const d = c._zod.def;
    if (d.check === "greater_than" && typeof d.value === "number" && !d.when) above(d.value, d.inclusive === true);
    else if (d.check === "less_than" && typeof d.value === "number" && !d.when) below(d.value, d.inclusive === true);
    else if (d.check === "number_format" && !d.when) {
      const range = NUMBER_FORMAT_RANGES[d.format ?? "float64"];
      if (!range) return null;
      if (d.format!.includes("int")) int = true;
      above(range[0], true);
      below(range[1], true);
    } else return null;
  }
  return (v) => {
    if (typeof v !== "number" || !Number.isFinite(v) || (int && !Number.isSafeInteger(v))) return UNSURE;
    if (loIn ? v < lo : v <= lo) return UNSURE;
    if (hiIn ? v > hi : v >= hi) return UNSURE;
    return v;
  };
}

function arrayParser(s: Schema): Fn | null {
  let min = 0;
  let max = Infinity;
  for (const c of s._zod.def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === "min_length" && lengthWhen(d)) min = Math.max(min, d.minimum!);
    else if (d.check === "max_length" && lengthWhen(d)) max = Math.min(max, d.maximum!);
    else return null;
  }
  const element = compile(s._zod.def.element!);
  if (!element) return null;
  return (v) => {
    if (!Array.isArray(v) || v.length < min || v.length > max) return UNSURE;
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const r = element(v[i]);
      if (r === UNSURE) return UNSURE;
      out[i] = r;
    }
    return out;
  };
}

function objectParser(s: Schema): Fn | null {
  const def = s._zod.def;
  if (ownChecks(s).length || def.catchall?._zod.def.type !== "never" || !def.shape) return null;
  const keys = Object.keys(def.shape);
  if (Object.getOwnPropertySymbols(def.shape).length || keys.includes("__proto__")) return null;
  const keySet = new Set(keys);
  const fields: { key: string; parse: Fn; optional: boolean }[] = [];
  for (const key of keys) {
    const f = def.shape[key]!;
    const parse = compile(f);
    if (!parse) return null;
    fields.push({ key, parse, optional: f._zod.optin === "optional" && f._zod.optout === "optional" });
  }
  return (v) => {
    if (!isObject(v)) return UNSURE;
    for (const k in v) if (!keySet.has(k)) return UNSURE; // unknown key (also __proto__, constructor)
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (!(f.key in v)) {
        if (f.optional) continue;
        return UNSURE;
      }
      const x = v[f.key];
      if (x === undefined) return UNSURE;
      const r = f.parse(x);
      if (r === UNSURE) return UNSURE;
      out[f.key] = r;
    }
    return out;
  };
}

/** A discriminated union: the option its literal discriminator names; options that do not compile stay with zod. */
function discriminated(s: Schema): Fn | null {
  const def = s._zod.def;
  if (ownChecks(s).length || def.unionFallback) return null;
  const disc = def.discriminator!;
  const byValue = new Map<unknown, Fn | null>();
  for (const o of def.options!) {
    const values = o._zod.def.shape?.[disc]?._zod.values;
    if (o._zod.def.type !== "object" || !values) return null;
    const parse = compile(o);
    for (const value of values) {
      if (value === undefined || byValue.has(value)) return null;
      byValue.set(value, parse);
    }
  }
  return (v) => {
    if (!isObject(v)) return UNSURE;
    const parse = byValue.get(v[disc]);
    return parse ? parse(v) : UNSURE;
  };
}
