/// <reference types="vite/client" />
/** Drift check: the committed schemas/json/ must be exactly what the zod schemas generate (`npm run schemas`). */
import { describe, expect, it } from "vitest";
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
});
