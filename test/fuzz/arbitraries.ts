/**
 * fast-check arbitraries for hostile input, shared by the fuzz tests: extreme and malformed
 * dates, numbers at the edges of their types (also as raw JSON literals JSON.stringify cannot
 * write: 1e400, -0, 1.0e-400), and unicode edge cases (lone surrogates, NUL, BOM, bidi
 * overrides, combining marks, lengths one over a bound).
 */
import fc from "fast-check";
import { CLIENT_EVENT_TYPES } from "../../schemas";

const DAY = 86_400_000;
const MAX_DATE = 8.64e15;

/** ISO-ish strings that parse to odd times, almost parse, or do not parse at all. */
export const extremeDate: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z", "1000-01-01T00:00:00.000Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z",
    "+275760-09-13T00:00:00.000Z", "-271821-04-20T00:00:00.000Z", "+275760-09-13T00:00:00.001Z", "-005947-10-30T00:00:00.000Z",
    "2026-02-29T00:00:00Z", "2024-02-29T12:00:00Z", "2026-02-30T10:00:00Z", "2026-13-01T00:00:00Z", "2026-11-26T24:00:00Z",
    "2026-11-26T23:59:60Z", "2026-11-26T04:41:38.900+14:00", "2026-11-26T04:41:38.900-12:00", "2026-11-26T04:41:38.900+99:00",
    "2026-11-26T04:41:38.123456789Z", "2026-11-26T04:41:38Z\u0000", " 2026-11-26T04:41:38Z", "2026-11-26", "2026-W48-4",
    "2026-11-26T04:41Z", "20261126T044138Z", "Thu, 26 Nov 2026 04:41:38 GMT", "NaN", "Infinity", "-Infinity", "1e400", "", "null", "0",
  ),
  fc.date({ min: new Date(-MAX_DATE), max: new Date(MAX_DATE), noInvalidDate: true }).map((d) => d.toISOString()),
  // Near now: inside, at and just outside the windows (7 days, 730 days, 5 minutes).
  fc.oneof(fc.integer({ min: -800 * DAY, max: 800 * DAY }), fc.constantFrom(-7 * DAY, -7 * DAY - 1000, -730 * DAY - 1000, 5 * 60_000 + 1000, 10 * 60_000)).map((off) => new Date(Date.now() + off).toISOString()),
);

/** Numbers at the edges of their types, as JSON values. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0, -0, 1, -1, 0.5, Number.EPSILON, Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
    2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e21, 1e-7, 8.64e15, 8.64e15 + 1, 1e12, 1e12 + 0.01, 100_000, 100_001, 86_400_000, 86_400_001,
  ),
  fc.double(), // NaN and ±Infinity become null in JSON.stringify; rawNumberLiteral writes the rest
  fc.integer(),
);

/** Raw JSON number literals that no JSON.stringify output contains (JSON.parse turns them into Infinity, -0 or 0). */
export const rawNumberLiteral = fc.constantFrom("1e400", "-1e400", "-0", "1.0e-400", "123456789012345678901234567890", "0.1e1", "1E+2", "9007199254740993");

/** Strings at unicode and length edges. */
export const edgeString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "\uD800", "\uDFFF", "a\uD83D", "\uDE00b", "\uFEFF", "\u200D", "\u202Etxt.exe", "\u0000", "\u0000abc", "e\u0301".repeat(70), "👨‍👩‍👧‍👦", "🏳️‍🌈".repeat(20),
    "\u2028\u2029", "ｄｅｍｏ", "dеmo", "%00", "%E0%A4%A", "%ZZ", "../../etc/passwd", "\\", "\"", "'; DROP TABLE seen; --", "<script>alert(1)</script>",
    "a".repeat(64), "a".repeat(65), "a".repeat(128), "a".repeat(129), "a".repeat(256), "a".repeat(257), "a".repeat(2049), " ", "\t\n", "__proto__", "constructor",
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
);

const hostileKey = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "site", "events", "💥", "\u0000", "\uD800", "a".repeat(300));

/** Any hostile JSON value: dates, edge numbers, edge strings, and odd shapes. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  extremeDate,
  edgeNumber,
  edgeString,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(edgeNumber, edgeString), { maxLength: 5 }),
  fc.dictionary(hostileKey, fc.oneof(edgeString, edgeNumber), { maxKeys: 3 }),
);

/** Percent-encodes any string, lone surrogates included (as U+FFFD, what a browser sends). */
export function encodeAny(s: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(s)) out += /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** A URL path segment or query value: encoded properly, or raw with broken percent escapes. */
export const urlPart: fc.Arbitrary<string> = fc.oneof(
  edgeString.map(encodeAny),
  extremeDate.map(encodeAny),
  edgeNumber.map((n) => encodeAny(String(n))),
  fc.constantFrom("%", "%E0%A4%A", "%ZZ", "%C0%AF", "%ED%A0%80", "%00", "..", "%2e%2e", "-1", "0", "1e400", "NaN", "Infinity", "1.5", "99999999999999999999", ""),
);

/** `JSON.stringify(value)`, where each `rawNumberLiteral` placeholder value is written as the literal itself. */
export function jsonWithRawNumbers(value: unknown, raw: Map<string, string>): string {
  let text = JSON.stringify(value);
  for (const [mark, literal] of raw) text = text.replace(JSON.stringify(mark), literal);
  return text;
}

export const id = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/);
export const sku = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
export const money = fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true });
export const currency = fc.constantFrom("EUR", "USD", "GBP", "JPY");

/** A valid props object for each event type. */
export const validProps: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  page_view: fc.record({ url: fc.webUrl(), title: fc.string({ maxLength: 50 }), path: fc.constantFrom("/", "/a", "/p/1") }, { requiredKeys: [] }),
  product_view: fc.record({ product_id: sku, category: sku, brand: sku, price: money, currency }, { requiredKeys: ["product_id"] }),
  product_click: fc.record({ product_id: sku, category: sku, position: fc.nat(1000), list: sku }, { requiredKeys: ["product_id"] }),
  add_to_cart: fc.record({ product_id: sku, quantity: fc.integer({ min: 1, max: 99 }), price: money, currency }, { requiredKeys: ["product_id", "quantity"] }),
  remove_from_cart: fc.record({ product_id: sku, quantity: fc.integer({ min: 1, max: 9 }) }, { requiredKeys: ["product_id"] }),
  purchase: fc.record({ order_id: sku, revenue: money, currency, items: fc.array(fc.record({ product_id: sku, quantity: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 5 }) }),
  search: fc.record({ query: fc.string({ minLength: 1, maxLength: 100 }), results_count: fc.nat(1000) }, { requiredKeys: ["query"] }),
  scroll_depth: fc.record({ percent: fc.constantFrom(25, 50, 75, 90, 100) }),
  engagement: fc.record({ active_ms: fc.nat(100_000), visible_ms: fc.nat(100_000) }),
  form_submit: fc.record({ form_id: sku }),
  click: fc.record({ selector: fc.string({ maxLength: 40 }), text: fc.string({ maxLength: 40 }), href: fc.string({ maxLength: 40 }) }, { requiredKeys: [] }),
  custom: fc.record({ name: sku, properties: fc.dictionary(sku, fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()), { maxKeys: 10 }) }, { requiredKeys: ["name"] }),
};
// Client types only (session_end and cart_abandoned are the collector's own). identify files the
// beacon under the user's object, which the storage checks here do not follow: see test/identity.integration.test.ts.
export const FUZZ_TYPES = CLIENT_EVENT_TYPES.filter((t) => t !== "identify");
export const validEvent = fc.constantFrom(...FUZZ_TYPES).chain((type) => validProps[type]!.map((props) => ({ type, props })));

