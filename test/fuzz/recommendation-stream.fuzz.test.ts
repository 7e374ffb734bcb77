/**
 * Fuzzing GET /v1/recommendations/:site/:id/stream in workerd (fast-check): any query string,
 * path id and credential gets a 200 event stream or a 4xx JSON error naming a field, never a
 * 5xx. Open streams are cancelled at once (the worker then lets go of the person's object).
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const piece = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("%", "%zz", "%00", "%FF", "+", "&&", ",", "\u0000", "💥", "a".repeat(300)),
  fc.constantFrom("1", "10", "50", "51", "0", "-1", "1.5", "NaN", " 5"),
);
const param = fc.tuple(fc.constantFrom("limit", "context", "category", "exclude", "cart", "sig", "x"), piece).map(([k, v]) => `${k}=${v}`);
const query = fc.oneof(fc.array(param, { maxLength: 5 }).map((ps) => ps.join("&")), fc.string({ unit: "binary", maxLength: 100 }));
const id = fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,20}$/), fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).map(encodeURIComponent), fc.constantFrom("%", "..", "x".repeat(200)));
const who = fc.constantFrom<Record<string, string>>(
  { authorization: "Bearer test-admin-token" },
  { authorization: "Bearer test-read-key" },
  { origin: "http://localhost:5173" },
  { origin: "https://evil.example" },
  { "sec-fetch-site": "same-origin" },
  {},
);

describe("fuzzing the recommendation stream", () => {
  it("answers 300 hostile stream requests without a 5xx", async () => {
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("demo", "nosuchsite", "%00"), id, query, who, async (s, i, q, headers) => {
        const res = await exports.default.fetch(new Request(`https://collector.test/v1/recommendations/${s}/${i}/stream?${q}`, { headers }));
        expect(res.status).toBeLessThan(500);
        if (res.status === 200) {
          expect(res.headers.get("content-type")).toContain("text/event-stream");
          await res.body!.cancel();
        } else {
          const body = JSON.parse(await res.text()) as { error: unknown; details: { path: string }[] };
          expect(typeof body.error).toBe("string");
          for (const d of body.details) expect(d.path.length).toBeGreaterThan(0);
        }
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }),
      { numRuns: 300 },
    );
    console.log(`fuzz recommendation stream: ${JSON.stringify(statuses)}`);
    expect(statuses[200]).toBeGreaterThan(0);
    expect(statuses[400]).toBeGreaterThan(0);
  }, 300_000);
});
