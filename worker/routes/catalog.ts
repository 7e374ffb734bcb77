/**
 * POST /v1/catalog/:site            upsert 1-1,000 products (server key as HTTP Basic user, or admin token)
 * GET  /v1/catalog/:site/:product_id one product (read key or admin token)
 * Products live in the ItemStats shard of their id, next to their statistics, so a
 * recommendation reads both at once (durable-objects/items/item-stats.ts).
 */
import { Hono } from "hono";
import { catalogBodySchema, catalogItemSchema, MAX_CATALOG_BYTES, type CatalogItem } from "../../schemas";
import { byShard, itemsObjectName, itemTuning, shardOf } from "../../durable-objects/items/tuning";
import { access } from "../access";
import { refuse, unknownSite } from "../answers";
import { parseJson, readLimitedText } from "../lib/body";
import { toFieldErrors, type Rejection } from "../lib/validate";
import { forgetItems } from "../recs/recommend";
import { sites } from "../sites";

export const catalog = new Hono<{ Bindings: Env }>();

catalog.post("/:site", access("catalog.write"), async (c) => {
  const site = c.req.param("site");
  if (!sites(c.env).get(site)) return unknownSite(c, site, "write");
  const body = await readLimitedText(c.req.raw, MAX_CATALOG_BYTES);
  if (!body.ok) return refuse(c, body.status, body.status === 413 ? "too_large" : body.status === 415 ? "unsupported_media_type" : "bad_request", body.error, [{ path: "(body)", message: body.error }]);
  const json = parseJson(body.text);
  if (!json.ok) return refuse(c, 400, "not_json", json.error, [{ path: "(body)", message: json.error }]);
  const env = catalogBodySchema.safeParse(json.value);
  if (!env.success) return refuse(c, 400, "bad_request", "invalid body", toFieldErrors(env.error.issues));

  const rejected: (Rejection & { product_id: string | null })[] = [];
  const valid: { index: number; item: CatalogItem }[] = [];
  env.data.items.forEach((raw, index) => {
    const r = catalogItemSchema.safeParse(raw);
    if (r.success) valid.push({ index, item: r.data });
    else {
      const pid = (raw as { product_id?: unknown } | null)?.product_id;
      rejected.push({ index, id: null, product_id: typeof pid === "string" ? pid.slice(0, 128) : null, errors: toFieldErrors(r.error.issues, ["items", index]) });
    }
  });
  const shards = itemTuning(c.env).shards;
  const full = new Set<string>();
  await Promise.all(
    [...byShard(valid.map((v) => v.item.product_id), shards)].map(async ([s]) => {
      const items = valid.filter((v) => shardOf(v.item.product_id, shards) === s).map((v) => v.item);
      const res = await c.env.ITEMS.get(c.env.ITEMS.idFromName(itemsObjectName(site, s))).upsertCatalog(items);
      for (const id of res.full) full.add(id);
    }),
  );
  forgetItems(site, valid.map((v) => v.item.product_id));
  for (const v of valid) {
    if (full.has(v.item.product_id)) rejected.push({ index: v.index, id: null, product_id: v.item.product_id, errors: [{ path: `items[${v.index}]`, message: "the catalogue is full (CATALOG_SHARD_MAX_PRODUCTS); updates of known products still pass" }] });
  }
  rejected.sort((a, b) => a.index - b.index);
  const answer = { accepted: valid.length - valid.filter((v) => full.has(v.item.product_id)).length, rejected: rejected.map(({ id: _id, ...r }) => r) };
  if (answer.accepted === 0) return refuse(c, 400, "bad_request", "no valid items", rejected.flatMap((r) => r.errors), answer);
  return c.json(answer, 200);
});

catalog.get("/:site/:product_id", access("catalog.read"), async (c) => {
  const { site, product_id } = c.req.param();
  if (!sites(c.env).get(site)) return unknownSite(c, site, "read");
  if (product_id.length > 128) return refuse(c, 400, "bad_request", "product_id is longer than 128 characters", [{ path: "product_id", message: "at most 128 characters" }]);
  const shard = shardOf(product_id, itemTuning(c.env).shards);
  const got = (await c.env.ITEMS.get(c.env.ITEMS.idFromName(itemsObjectName(site, shard))).read([product_id]))[product_id];
  if (!got) return c.json({ error: "no such product", details: [{ path: "product_id", message: `site ${site} has no product "${product_id.slice(0, 64)}" in its catalogue or events` }] }, 404);
  return c.json({ product_id, ...(got.catalog ?? { updated_at: null }), learnt: got.learnt, popularity: got.popularity });
});
