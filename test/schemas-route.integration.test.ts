/** The generated JSON Schemas as the worker serves them (schemas/json-schema.unit.test.ts checks they match zod). */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildJsonSchemas } from "../schemas/json-schema";

describe("GET /v1/schemas", () => {
  const generated = buildJsonSchemas();
  it("is served at GET /v1/schemas and /v1/schemas/<name>", async () => {
    const all = await exports.default.fetch(new Request("https://collector.test/v1/schemas"));
    expect(all.status).toBe(200);
    expect(all.headers.get("access-control-allow-origin")).toBe("*");
    expect(await all.json()).toEqual(generated);
    const one = await exports.default.fetch(new Request("https://collector.test/v1/schemas/events/product_view.json"));
    expect(one.headers.get("content-type")).toContain("application/schema+json");
    expect(await one.json()).toEqual(generated["events/product_view.json"]);
    expect((await exports.default.fetch(new Request("https://collector.test/v1/schemas/nope.json"))).status).toBe(404);
  });
});
