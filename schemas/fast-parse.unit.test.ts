/**
 * The fast path against zod, on many valid and hostile inputs: whenever it answers, zod accepts
 * the same input and returns an identical value (keys, key order, Object.is on every leaf);
 * whenever zod rejects, it answers UNSURE (so the caller's zod call words the error). Runs in
 * workerd, where zod has no JIT, as in production.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { array, boolean, core, email, int32, literal, number, object, strictObject, string, union, unknown, url, enum as oneOf, type z } from "zod";
import { edgeNumber, edgeString, extremeDate, hostileValue, validProps } from "../test/fuzz/arbitraries";
import { envelopeSchema } from "./envelope";
import { CLIENT_EVENT_TYPES, eventSchema } from "./events";
import { fastParser, NUMBER_FORMAT_RANGES, UNSURE } from "./fast-parse";

const fastEvent = fastParser(eventSchema);
const fastEnvelope = fastParser(envelopeSchema);

/** Deep identity: same kinds, same own keys in the same order, Object.is on every leaf. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== "object" || a === null || typeof b !== "object" || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same((a as Record<PropertyKey, unknown>)[k], (b as Record<PropertyKey, unknown>)[k]));
}

/** JSON text of a value, or null when it has none (a Date-prototyped object's toJSON throws). */
function jsonOf(v: unknown): string | null {
  try {
    return JSON.stringify(v) ?? null;
  } catch {
    return null;
  }
}

const counts = { fast: 0, zodOnly: 0, rejected: 0 };
/** The property: the fast path agrees with zod, or stays out of it; and leaves its input as it was. */
function agrees(schema: z.ZodType, fast: (v: unknown) => unknown, input: unknown): void {
  const before = jsonOf(input);
  const f = fast(input);
  expect(jsonOf(input)).toBe(before);
  const r = schema.safeParse(input);
  if (f === UNSURE) {
    if (r.success) counts.zodOnly++;
    else counts.rejected++;
    return;
  }
  counts.fast++;
  if (!r.success) throw new Error(`fast path accepted what zod rejects: ${before}: ${JSON.stringify(r.error.issues)}`);
  if (!same(f, r.data)) throw new Error(`fast path output differs: ${JSON.stringify(f)} vs ${JSON.stringify(r.data)}`);
}

// Strings at every bound the schemas use, in plain units and with surrogate pairs (zod counts code points).
const BOUNDS = [0, 1, 2, 3, 4, 34, 35, 36, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049];
const boundString = fc.oneof(
  fc.constantFrom(...BOUNDS).map((n) => "a".repeat(n)),
  fc.constantFrom(...BOUNDS).map((n) => "😀" + "a".repeat(Math.max(0, n - 2))),
  fc.constantFrom(...BOUNDS).map((n) => "😀".repeat(Math.ceil(n / 2))),
  fc.constantFrom(...BOUNDS).map((n) => "https://a.example/" + "p".repeat(Math.max(0, n - 18))),
);
const urlish = fc.constantFrom(
  "https://shop.example/p?utm_source=x", " https://a.example/ ", "\thttps://a.example/x", "https://a.exa\nmple/x", "https://a.example/\r", "http:a.example",
  "https:/a", "javascript:alert(1)", "mailto:a@b.example", "https://", "not a url", "//a.example", "https://[::1]/", "https://a.example/\u0000", "https://ä.example/",
  "\u00a0https://a.example/\u00a0", "\u2028https://a.example/", "ftp://a.example/x", "https://user:pw@a.example/#token=1",
);
const nonJson = fc.constantFrom(undefined, Number.NaN, Infinity, -Infinity, -0, 1e12, 1e12 + 1, 2 ** 53, 0.5, [], {}, [1], { a: 1 }, Object.create(null), new Date(0), "EUR", "eur", 25, 33);
const anyValue = fc.oneof(hostileValue, boundString, urlish, nonJson, extremeDate, edgeString, edgeNumber, fc.boolean(), fc.constant(null));
const FIELDS = ["id", "type", "ts", "props", "url", "title", "path", "product_id", "category", "brand", "price", "currency", "position", "list", "quantity", "order_id", "revenue", "items", "query", "results_count", "percent", "active_ms", "visible_ms", "form_id", "selector", "text", "href", "name", "properties", "user_id"];
const HOSTILE_KEYS = ["__proto__", "constructor", "toString", "hasOwnProperty", "prototype", "extra", ""];
const field = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, fc.constantFrom(...HOSTILE_KEYS));

type Json = Record<string, unknown>;
/** A copy of `obj` with one change at the top level, in props, or in props.items[0]. */
const mutation = fc.record({
  where: fc.constantFrom("top", "props", "item"),
  key: field,
  op: fc.constantFrom("set", "delete", "own-json"),
  value: anyValue,
});
function mutate(obj: Json, m: { where: string; key: string; op: string; value: unknown }): Json {
  const copy = structuredClone(obj);
  const target = m.where === "top" ? copy : m.where === "props" ? (copy.props as Json | undefined) : ((copy.props as Json | undefined)?.items as Json[] | undefined)?.[0];
  if (!target || typeof target !== "object") return copy;
  if (m.op === "delete") delete target[m.key];
  // An own key as JSON.parse makes it (also "__proto__"); a plain assignment to "__proto__" changes the prototype instead.
  else if (m.op === "own-json") Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
  else target[m.key] = m.value;
  return copy;
}

const identifyProps = fc.record({ user_id: fc.oneof(fc.constantFrom("u-1", "a\u0001", "x".repeat(128), "x".repeat(129)), edgeString) });
const props = (type: string) => (type === "identify" ? identifyProps : validProps[type]!);
const validTs = fc.integer({ min: -10 * 86_400_000, max: 10 * 86_400_000 }).map((off) => new Date(Date.parse("2026-11-30T12:00:00Z") + off).toISOString());
const offsetTs = fc.constantFrom("2026-11-30T12:00:00+01:00", "2026-11-30T12:00:00.123456-05:30", "2024-02-29T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-30T12:00:00");
const event = fc.record({
  id: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/) }, fc.constantFrom("", "a b", "x".repeat(65), "é")),
  type: fc.constantFrom(...CLIENT_EVENT_TYPES),
  ts: fc.oneof({ weight: 4, arbitrary: validTs }, offsetTs, extremeDate),
}).chain((e) => props(e.type).map((p) => ({ ...e, props: p }) as Json));
const mutatedEvent = fc.tuple(event, fc.array(mutation, { maxLength: 3 })).map(([e, ms]) => ms.reduce(mutate, e));

const context = fc.record(
  {
    page_url: fc.oneof({ weight: 4, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) }, urlish),
    referrer: fc.oneof({ weight: 4, arbitrary: fc.webUrl() }, boundString),
    title: fc.string({ maxLength: 60 }),
    locale: fc.constantFrom("en-GB", "de", "fr-CA", "x".repeat(36)),
    timezone: fc.constantFrom("Europe/Berlin", "UTC"),
    screen: fc.record({ w: fc.nat(5000), h: fc.oneof({ weight: 4, arbitrary: fc.nat(5000) }, fc.constant(100_001), fc.constant(1.5)) }),
  },
  { requiredKeys: [] },
);
const envelope = fc.record(
  {
    site: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("demo", "shop", "a-b_c") }, fc.constantFrom("Demo", "", "x".repeat(65), "-x")),
    anonymous_id: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,40}$/) }, edgeString, boundString),
    user_id: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,40}$/) }, edgeString),
    user_id_sig: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[0-9a-fA-F]{64}$/) }, fc.constantFrom("ab", "G".repeat(64))),
    session_id: fc.stringMatching(/^[a-z0-9-]{1,40}$/),
    consent: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("granted", "denied", "unknown") }, fc.constantFrom("yes", "", "GRANTED")),
    sent_at: fc.oneof({ weight: 4, arbitrary: validTs }, extremeDate),
    context,
    events: fc.oneof({ weight: 4, arbitrary: fc.array(mutatedEvent, { minLength: 1, maxLength: 4 }) }, fc.constantFrom([], Array.from({ length: 101 }, () => ({})), [undefined], "x")),
  },
  { requiredKeys: ["site", "anonymous_id", "sent_at", "events"] },
);
const ENVELOPE_FIELDS = ["site", "anonymous_id", "user_id", "user_id_sig", "session_id", "consent", "sent_at", "context", "events", "page_url", "referrer", "screen", "w", "__proto__", "extra"];
const envMutation = fc.record({ where: fc.constantFrom("top", "context"), key: fc.constantFrom(...ENVELOPE_FIELDS), op: fc.constantFrom("set", "delete", "own-json"), value: anyValue });
const mutatedEnvelope = fc.tuple(envelope, fc.array(envMutation, { maxLength: 2 })).map(([e, ms]) =>
  ms.reduce((acc, m) => (m.where === "context" ? { ...acc, context: acc.context && typeof acc.context === "object" ? mutate(acc.context as Json, { ...m, where: "top" }) : acc.context } : mutate(acc, m)), e as Json),
);

describe("fastParser(eventSchema)", () => {
  it("agrees with zod on valid, mutated and hostile events, as objects and as JSON.parse makes them", () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: mutatedEvent }, event, anyValue), (input) => {
        agrees(eventSchema, fastEvent, input);
        const text = jsonOf(input);
        if (text !== null) agrees(eventSchema, fastEvent, JSON.parse(text));
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: both outcomes happen many times.
    expect(counts.fast).toBeGreaterThan(500);
    expect(counts.rejected).toBeGreaterThan(500);
  });

  it("takes every common valid event (all client types but custom, whose record and refinement stay with zod)", () => {
    fc.assert(
      fc.property(event.filter((e) => e.type !== "custom"), (e) => {
        if (eventSchema.safeParse(e).success && JSON.stringify(e).indexOf("\\u") === -1 && !/[^\x20-\x7e]/.test(JSON.stringify(e))) expect(fastEvent(e)).not.toBe(UNSURE);
      }),
      { numRuns: 500 },
    );
  });

  it("returns zod's value where zod changes the input: url trimmed and without tabs, keys in the schema's order", () => {
    const ts = "2026-11-30T12:00:00.000Z";
    for (const u of [" https://a.example/x ", "https://a.exa\tmple/x", "https://a.example/x"]) {
      const e = { props: { url: u, title: "t" }, ts, type: "page_view", id: "e-1" };
      const f = fastEvent(e);
      expect(same(f, eventSchema.parse(e))).toBe(true);
      expect(Object.keys(f as object)).toEqual(["id", "type", "ts", "props"]);
      expect((f as { props: { url: string } }).props.url).toBe("https://a.example/x");
    }
    const purchase = { id: "p", type: "purchase", ts, props: { order_id: "o", revenue: -0, currency: "EUR", items: [{ price: 0, quantity: 1, product_id: "a" }] } };
    expect(same(fastEvent(purchase), eventSchema.parse(purchase))).toBe(true);
  });

  it("stays out of what it cannot be sure of: code-point lengths, undefined values, own __proto__ keys", () => {
    const ts = "2026-11-30T12:00:00.000Z";
    const emoji = "😀".repeat(100); // 200 units, 100 code points: zod accepts it as a 128-character product id
    expect(eventSchema.safeParse({ id: "e", type: "product_view", ts, props: { product_id: emoji } }).success).toBe(true);
    expect(fastEvent({ id: "e", type: "product_view", ts, props: { product_id: emoji } })).toBe(UNSURE);
    expect(fastEvent({ id: "e", type: "product_view", ts, props: { product_id: "a", brand: undefined } })).toBe(UNSURE);
    expect(fastEvent(JSON.parse(`{"id":"e","type":"page_view","ts":"${ts}","props":{"__proto__":{"x":1}}}`))).toBe(UNSURE);
    expect(fastEvent({ id: "e", type: "session_end", ts, props: {} })).toBe(UNSURE);
  });
});

describe("fastParser(envelopeSchema)", () => {
  it("agrees with zod on valid, mutated and hostile envelopes", () => {
    const before = { ...counts };
    fc.assert(
      fc.property(fc.oneof({ weight: 4, arbitrary: mutatedEnvelope }, anyValue), (input) => {
        agrees(envelopeSchema, fastEnvelope, input);
        const text = jsonOf(input);
        if (text !== null) agrees(envelopeSchema, fastEnvelope, JSON.parse(text));
      }),
      { numRuns: 2000 },
    );
    expect(counts.fast - before.fast).toBeGreaterThan(300);
    expect(counts.rejected - before.rejected).toBeGreaterThan(300);
  });
});

describe("fastParser on other schemas of the constructs it compiles", () => {
  it("agrees with zod on bounds the collector's schemas do not use (min > 1, exclusive bounds, int32, enums)", () => {
    const schemas: z.ZodType[] = [
      string().min(3).max(5),
      string().min(2).regex(/^[a-z😀]+$/u),
      number().int().gt(0).lt(10),
      number().gte(-1.5).lte(1.5),
      number(),
      int32(),
      oneOf(["a", "b"]).optional(),
      union([literal(1), literal("1"), literal(true)]),
      array(number().positive()).min(2).max(3),
      strictObject({ a: string().max(2).optional(), b: unknown(), c: url().max(20) }),
    ];
    const input = fc.oneof(anyValue, fc.constantFrom("😀😀", "😀a", "abc", "😀😀😀", "ab", "a😀😀", 0, 10, 9, 2 ** 31, -(2 ** 31) - 1, 1.5, -1.5, 1.5000001, "a", "b", 1, "1", true), fc.array(fc.oneof(fc.integer(), fc.double()), { maxLength: 4 }), fc.record({ a: fc.oneof(fc.constantFrom("ab", "😀😀", "abc"), anyValue), b: anyValue, c: fc.oneof(urlish, fc.constantFrom(" https://a.example/ ", "https://a.example/\t\t")) }, { requiredKeys: [] }));
    fc.assert(fc.property(fc.constantFrom(...schemas.keys()), input, (i, v) => agrees(schemas[i]!, fastParser(schemas[i]!), v)), { numRuns: 3000 });
  });
});

describe("fastParser's copy of zod's number format ranges", () => {
  it("is zod's", () => {
    expect(NUMBER_FORMAT_RANGES).toEqual(core.util.NUMBER_FORMAT_RANGES);
  });
});

describe("fastParser on constructs it does not compile", () => {
  it("answers UNSURE for every input rather than guess", () => {
    const schemas: z.ZodType[] = [
      string().trim(),
      email(),
      url({ protocol: /^https$/ }),
      number().multipleOf(2),
      string().refine(() => false),
      string().transform((s) => s.toUpperCase()),
      string().default("x"),
      object({ a: string() }), // strips unknown keys instead of refusing them
      strictObject({ a: string() }).catchall(number()),
      array(string()).length(2),
      boolean().refine(() => true),
    ];
    for (const s of schemas) for (const v of ["a", " a ", "a@b.example", "https://a.example", 2, true, { a: "x" }, ["a", "b"], undefined]) expect(fastParser(s)(v)).toBe(UNSURE);
  });
});
