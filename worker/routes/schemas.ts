/** GET /v1/schemas (every JSON Schema, by file name) and GET /v1/schemas/<name>.json: public, cacheable. */
import { Hono } from "hono";
import { jsonSchemas } from "../../schemas/json/manifest";

export const schemas = new Hono<{ Bindings: Env }>();

schemas.use("*", async (c, next) => {
  await next();
  c.header("Access-Control-Allow-Origin", "*");
  c.header("Cache-Control", "public, max-age=300");
});
schemas.get("/", (c) => c.json(jsonSchemas));
schemas.get("/:name{.+\\.json}", (c) => {
  const s = jsonSchemas[c.req.param("name")];
  return s ? c.json(s, 200, { "content-type": "application/schema+json" }) : c.json({ error: "no such schema", schemas: Object.keys(jsonSchemas) }, 404);
});
