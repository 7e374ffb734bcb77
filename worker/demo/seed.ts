/**
 * The demo shop seeds a fresh collector as a site's backend would, with the site's server key:
 * its catalogue (POST /v1/catalog/:site), and the sessions of simulated shoppers as
 * server-side events (worker/demo/shop.ts), so that the demo page has "viewed together" and
 * trending statistics within seconds. Once per isolate; the event ids are fixed, so another
 * isolate seeding again only makes duplicates (and the catalogue upsert is idempotent).
 */
import { log } from "../../durable-objects/lib/log";
import { ingestEnvelope } from "../ingest";
import { catalog } from "../routes/catalog";
import { siteSecrets } from "../sites";
import { catalogItems, shopperEnvelopes } from "./shop";

let seeding: Promise<void> | null = null;

export function seedDemo(env: Env, ctx: Parameters<typeof catalog.request>[3], site: string, origin: string): Promise<void> {
  seeding ??= (async () => {
    const key = siteSecrets(env).get(site)?.server_keys?.[0];
    if (key) {
      const res = await catalog.request(`/${site}`, { method: "POST", headers: { authorization: `Basic ${btoa(`${key}:`)}`, "content-type": "application/json" }, body: JSON.stringify({ items: catalogItems(origin) }) }, env, ctx);
      if (!res.ok) throw new Error(`catalogue: ${res.status}`);
    }
    const now = Date.now();
    let accepted = 0;
    for (const envelope of shopperEnvelopes(site, now)) {
      const out = await ingestEnvelope(env, envelope, { receivedMs: Date.now(), userAgent: null, cf: undefined, serverKey: true });
      accepted += out.accepted;
    }
    log("demo seeded", { site, accepted, catalogue: key ? "fed" : "no server key" });
  })().catch((e: unknown) => {
    seeding = null; // try again with the next page view
    log("demo seeding failed", { site, error: e instanceof Error ? e.message : String(e) });
  });
  return seeding;
}
