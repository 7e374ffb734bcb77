/** The consent buffer and behavioural bot scoring, in the user's object in workerd. */
import { describe, expect, it } from "vitest";
import { eventually } from "./eventually";
import { envelope, ev, get, post, uid } from "./helpers";

const json = async (r: Response) => (await r.json()) as any;
const exportOf = async (site: string, id: string) => json(await get(`/v1/profiles/${site}/${id}/export`));

async function lakeIds(site: string): Promise<Set<string>> {
  const day = new Date().toISOString().slice(0, 10);
  const list = (await json(await get(`/v1/admin/lake?prefix=${encodeURIComponent(`events/site=${site}/dt=${day}/`)}`))) as { key: string }[];
  const ids = new Set<string>();
  for (const o of list) for (const l of (await (await get(`/v1/admin/lake/${o.key}`)).text()).trim().split("\n")) if (l) ids.add(JSON.parse(l).id);
  return ids;
}

/** Events spaced by exactly `gapMs`, as a script would send them. */
function metronome(n: number, gapMs: number) {
  const t0 = Date.now() - n * gapMs;
  return Array.from({ length: n }, (_, i) => ev("product_view", { product_id: `sku-${i % 3}` }, { ts: new Date(t0 + i * gapMs).toISOString() }));
}

describe("consent buffer (consent_mode: required)", () => {
  it("holds events without consent, then releases them to the profile and the lake once granted", async () => {
    const anon = uid("c");
    const first = [ev("product_view", { product_id: "sku-1", category: "shoes" }), ev("search", { query: "boots" })];
    expect(await json(await post(envelope({ site: "consent", anonymous_id: anon }, first)))).toMatchObject({ accepted: 2, duplicates: 0 });
    expect((await get(`/v1/profiles/consent/${anon}`)).status).toBe(404);
    const held = await exportOf("consent", anon);
    expect(held.consent).toBe("unknown");
    expect(held.held_events.map((e: { id: string }) => e.id).sort()).toEqual(first.map((e) => e.id).sort());
    expect(held.buffered_events).toEqual([]);
    // A retry of a held event is a duplicate, not a second held copy.
    expect(await json(await post(envelope({ site: "consent", anonymous_id: anon }, [first[0]!])))).toMatchObject({ accepted: 0, duplicates: 1 });

    const later = ev("add_to_cart", { product_id: "sku-1", quantity: 1 });
    expect(await json(await post(envelope({ site: "consent", anonymous_id: anon, consent: "granted" }, [later])))).toMatchObject({ accepted: 1 });
    const p = await json(await get(`/v1/profiles/consent/${anon}`));
    expect(p.counts).toMatchObject({ product_view: 1, search: 1, add_to_cart: 1 });
    expect(p.consent).toEqual({ state: "granted", held_events: 0 });
    const ids = [...first, later].map((e) => e.id);
    await eventually(async () => {
      const lake = await lakeIds("consent");
      return ids.every((id) => lake.has(id));
    }, { what: "the released consent events in the lake", ms: 20_000, every: 250 });
  });

  it("purges held events when consent is denied, and keeps nothing of later beacons", async () => {
    const anon = uid("d");
    const held = [ev("page_view", { path: "/" }), ev("product_view", { product_id: "sku-2" })];
    await post(envelope({ site: "consent", anonymous_id: anon }, held));
    const denied = await json(await post(envelope({ site: "consent", anonymous_id: anon, consent: "denied" }, [ev("page_view", { path: "/x" })])));
    expect(denied).toMatchObject({ accepted: 0, duplicates: 0 });
    const after = await json(await post(envelope({ site: "consent", anonymous_id: anon }, [ev("page_view", { path: "/y" })])));
    expect(after.accepted).toBe(0);
    const x = await exportOf("consent", anon);
    expect(x).toMatchObject({ consent: "denied", held_events: [], buffered_events: [] });
    expect((await get(`/v1/profiles/consent/${anon}`)).status).toBe(404);
    await new Promise((r) => setTimeout(r, 1500));
    const lake = await lakeIds("consent");
    expect(held.some((e) => lake.has(e.id))).toBe(false);
  });
});

describe("behavioural bot scoring", () => {
  it("flags machine-regular traffic in the profile and on the stored records", async () => {
    const anon = uid("bot");
    const events = metronome(20, 2000);
    expect(await json(await post(envelope({ anonymous_id: anon }, events)))).toMatchObject({ accepted: 20 });
    const p = await json(await get(`/v1/profiles/demo/${anon}`));
    expect(p.bot.score).toBeGreaterThanOrEqual(70);
    expect(p.bot.reasons).toContain("regular");
    expect(p.counts.product_view).toBe(20); // flagged, not dropped, on a "flag" site
    // The stored records carry the score as it was at each event.
    const last = events[events.length - 1]!.id;
    const day = new Date().toISOString().slice(0, 10);
    const rec = await eventually(async () => {
      const list = (await json(await get(`/v1/admin/lake?prefix=${encodeURIComponent(`events/site=demo/dt=${day}/`)}`))) as { key: string }[];
      for (const o of list) for (const l of (await (await get(`/v1/admin/lake/${o.key}`)).text()).trim().split("\n")) if (l && JSON.parse(l).id === last) return JSON.parse(l);
      return null;
    }, { what: "the bot-scored event in the lake", ms: 20_000, every: 250 });
    expect(rec.bot_score).toBeGreaterThanOrEqual(70);
    expect(rec.bot_reasons).toContain("regular");
  });

  it("leaves human-paced traffic unflagged", async () => {
    const anon = uid("human");
    const t0 = Date.now() - 120_000;
    const gaps = [0, 4100, 9800, 11200, 30500, 33000, 52000, 61500, 80100, 95000, 99400, 118000];
    const events = gaps.map((g, i) => ev(i % 4 === 0 ? "page_view" : "product_view", i % 4 === 0 ? { path: `/p${i}` } : { product_id: `sku-${i}` }, { ts: new Date(t0 + g).toISOString() }));
    await post(envelope({ anonymous_id: anon }, events));
    const p = await json(await get(`/v1/profiles/demo/${anon}`));
    expect(p.bot).toEqual({ score: 0, reasons: [] });
  });

  it("drops a bot's events once over the threshold on a site with bot_action drop", async () => {
    const anon = uid("botdrop");
    const res = await json(await post(envelope({ site: "botdrop", anonymous_id: anon }, metronome(30, 2000))));
    expect(res.accepted).toBe(30); // the bot is not told
    const p = await json(await get(`/v1/profiles/botdrop/${anon}`));
    expect(p.counts.product_view).toBeGreaterThan(5);
    expect(p.counts.product_view).toBeLessThan(30);
    expect(p.bot.score).toBeGreaterThanOrEqual(70);
  });
});
