/**
 * Fuzzing the personalization routes in workerd (fast-check): any query string, path id and
 * body gets a 2xx or a 4xx JSON error naming a field, never a 5xx.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const ADMIN = "Bearer test-admin-token";
const piece = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("%", "%zz", "%E0%A4%A", "%00", "%C0%AF", "%FF", "+", "&&", "==", ",", ",,,", "%2C", "\u0000", "💥", "a".repeat(300)),
  fc.integer({ min: -1e6, max: 1e6 }).map(String),
  fc.constantFrom("1", "10", "50", "51", "0", "-1", "1.5", "1e2", "NaN", "Infinity", "0x10", " 5", "５"),
);
const param = fc.tuple(fc.constantFrom("limit", "context", "category", "exclude", "cart", "candidates", "x", "", "__proto__"), piece).map(([k, v]) => `${k}=${v}`);
const query = fc.oneof(fc.array(param, { maxLength: 6 }).map((ps) => ps.join("&")), fc.string({ unit: "binary", maxLength: 120 }));
const id = fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,20}$/), fc.string({ unit: "binary", minLength: 1, maxLength: 60 }).map(encodeURIComponent), fc.constantFrom("%", "%E0%A4%A", "..", "a/b", "x".repeat(200)));
const site = fc.constantFrom("recs-fuzz", "recs-fuzz", "nosuchsite", "DEMO", "%00");

async function check(res: Response) {
  expect(res.status).toBeLessThan(500);
  const body = JSON.parse(await res.text()) as Record<string, unknown>;
  if (res.status >= 400) {
    expect(typeof body.error).toBe("string");
    expect(Array.isArray(body.details)).toBe(true);
    for (const d of body.details as { path: string }[]) expect(d.path.length).toBeGreaterThan(0);
  } else {
    expect(Object.keys(body).sort()).toEqual(["generated_at", "id", "items", "site", "strategy"]);
  }
  return res.status;
}

describe("fuzzing the recommendation and catalogue routes", () => {
  it("answers 2,000 hostile GET /v1/recommendations requests without a 5xx", async () => {
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(site, id, query, fc.constantFrom(ADMIN, "Bearer test-read-key", "", "Basic %%%"), async (s, i, q, auth) => {
        const headers: Record<string, string> = auth ? { authorization: auth } : {};
        const status = await check(await exports.default.fetch(new Request(`https://collector.test/v1/recommendations/${s}/${i}?${q}`, { headers })));
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
      { numRuns: 2000 },
    );
    console.log(`fuzz recommendations GET: ${JSON.stringify(statuses)}`);
    expect(statuses[200]).toBeGreaterThan(0);
    expect(statuses[400]).toBeGreaterThan(0);
  }, 300_000);

  it("answers 1,000 hostile POST /v1/recommendations bodies without a 5xx", async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ candidates: fc.array(fc.oneof(fc.string({ maxLength: 140 }), fc.integer(), fc.constant(null)), { maxLength: 120 }) }).map((v) => JSON.stringify(v)),
      fc.string({ unit: "binary", maxLength: 100 }),
    );
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(id, query, body, fc.constantFrom("application/json", "text/plain", "image/png"), async (i, q, b, type) => {
        const req = new Request(`https://collector.test/v1/recommendations/recs-fuzz/${i}?${q}`, { method: "POST", headers: { authorization: ADMIN, "content-type": type }, body: b });
        const status = await check(await exports.default.fetch(req));
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
      { numRuns: 1000 },
    );
    console.log(`fuzz recommendations POST: ${JSON.stringify(statuses)}`);
    expect(statuses[200]).toBeGreaterThan(0);
  }, 300_000);

  it("answers 1,000 hostile catalogue requests without a 5xx", async () => {
    const item = fc.record(
      { product_id: fc.oneof(fc.string({ maxLength: 140 }), fc.integer()), title: fc.string({ maxLength: 20 }), url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 10 })), price: fc.oneof(fc.double(), fc.integer()), currency: fc.constantFrom("EUR", "eur", "EURO"), available: fc.oneof(fc.boolean(), fc.constant("no")), extra: fc.string() },
      { requiredKeys: [] },
    );
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ items: fc.array(item, { maxLength: 20 }) }).map((v) => JSON.stringify(v)), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), fc.string({ unit: "binary", maxLength: 80 })), id, async (b, pid) => {
        const post = await exports.default.fetch(new Request("https://collector.test/v1/catalog/recs-fuzz", { method: "POST", headers: { authorization: ADMIN, "content-type": "application/json" }, body: b }));
        expect(post.status).toBeLessThan(500);
        const get = await exports.default.fetch(new Request(`https://collector.test/v1/catalog/recs-fuzz/${pid}`, { headers: { authorization: ADMIN } }));
        expect(get.status).toBeLessThan(500);
        statuses[post.status] = (statuses[post.status] ?? 0) + 1;
        await post.text();
        await get.text();
      }),
      { numRuns: 1000 },
    );
    console.log(`fuzz catalogue: ${JSON.stringify(statuses)}`);
    expect(statuses[200]).toBeGreaterThan(0);
  }, 300_000);
});
