/// <reference types="vite/client" />
/** Drift check: the committed schemas/json/ must be exactly what the zod schemas generate (`npm run schemas`). */
import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import committedManifest from "./json/manifest.ts?raw";
import { jsonSchemas } from "./json/manifest";
import { buildJsonSchemas, manifestSource } from "./json-schema";
import { EVENT_TYPES } from "./events";

const files = import.meta.glob("./json/**/*.json", { eager: true, import: "default" });

describe("JSON Schema", () => {
  const generated = buildJsonSchemas();
  it("schemas/json/ matches the zod source (run `npm run schemas` after changing schemas/)", () => {
    const committed = Object.fromEntries(Object.entries(files).map(([k, v]) => [k.replace("./json/", ""), v]));
    expect(Object.keys(committed).sort()).toEqual(Object.keys(generated).sort());
    for (const [name, schema] of Object.entries(generated)) expect(committed[name], name).toEqual(schema);
    expect(committedManifest).toBe(manifestSource(Object.keys(generated)));
    expect(jsonSchemas).toEqual(generated);
  });
  it("covers the envelope and every event type", () => {
    expect(Object.keys(generated)).toEqual(expect.arrayContaining(["envelope.json", "event.json", ...EVENT_TYPES.map((t) => `events/${t}.json`)]));
    const purchase = generated["events/purchase.json"] as any;
    expect(purchase.properties.props.required).toEqual(["order_id", "revenue", "currency", "items"]);
    expect(purchase.properties.props.additionalProperties).toBe(false);
    expect((generated["events/custom.json"] as any).properties.props.properties.properties.maxProperties).toBe(50);
  });
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
