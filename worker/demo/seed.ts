/**
 * The demo shop seeds a fresh collector as a site's backend would: its catalogue, and the
 * sessions of simulated shoppers as server-side events (worker/demo/shop.ts), so that the
 * demo page has "viewed together" and trending statistics within seconds. Once per isolate;
 * the event ids are fixed, so another isolate seeding again only makes duplicates.
 */
import { ingestEnvelope } from "../ingest";
import { log } from "../../durable-objects/lib/log";
import { shopperEnvelopes } from "./shop";

let seeding: Promise<void> | null = null;

export function seedDemo(env: Env, site: string): Promise<void> {
  seeding ??= (async () => {
    const now = Date.now();
    let accepted = 0;
    for (const envelope of shopperEnvelopes(site, now)) {
      const out = await ingestEnvelope(env, envelope, { receivedMs: Date.now(), userAgent: null, cf: undefined, serverKey: true });
      accepted += out.accepted;
    }
    log("demo seeded", { site, accepted });
  })().catch((e: unknown) => {
    seeding = null; // try again with the next page view
    log("demo seeding failed", { site, error: e instanceof Error ? e.message : String(e) });
  });
  return seeding;
}
