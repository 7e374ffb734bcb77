/** Access and erasure in workerd: export everything held about a person; delete it, and it stays gone. */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { onDisk } from "./object-state";
import { ADMIN, envelope, ev, get, pageView, post, uid } from "./helpers";
import { openSse, openWebSocket } from "./subscribe";

const del = (path: string, headers: Record<string, string> = ADMIN) => exports.default.fetch(new Request(`https://collector.test${path}`, { method: "DELETE", headers }));
const stub = (id: string) => env.PROFILES.get(env.PROFILES.idFromName(`demo:${id}`));

describe("export and erasure", () => {
  it("needs the admin token", async () => {
    expect((await del(`/v1/profiles/demo/x`, {})).status).toBe(401);
    expect((await get(`/v1/profiles/demo/x/export`, {})).status).toBe(401);
  });

  it("exports everything held, erases the person in every object, records the deletion, and stays gone", async () => {
    const anon = uid("anon");
    const user = uid("user");
    const anonBeacon = envelope({ anonymous_id: anon }, [ev("product_view", { product_id: "sku-secret" }), ev("search", { query: "private query" })]);
    const userBeacon = envelope({ anonymous_id: anon, user_id: user }, [ev("add_to_cart", { product_id: "sku-secret", quantity: 1 })]);
    await post(anonBeacon);
    await post(userBeacon);

    const exp = await get(`/v1/profiles/demo/${user}/export`);
    expect(exp.status).toBe(200);
    expect(exp.headers.get("content-disposition")).toContain("attachment");
    const doc = (await exp.json()) as any;
    expect(doc).toMatchObject({ site: "demo", id: user, profile: { id: user, counts: { product_view: 1, search: 1, add_to_cart: 1 } }, merged_anonymous_ids: [{ anonymous_id: anon, outcome: "merged" }] });
    expect(doc.event_ids.map((e: any) => e.id).sort()).toEqual(([...anonBeacon.events, ...userBeacon.events] as { id: string }[]).map((e) => e.id).sort());
    expect(doc.merged_objects).toHaveLength(1);
    expect(doc.merged_objects[0]).toMatchObject({ id: anon, merged_into: user, profile: null });
    // Reading by the anonymous id exports the same person.
    expect(((await (await get(`/v1/profiles/demo/${anon}/export`)).json()) as any).id).toBe(user);

    const ws = await openWebSocket(`/v1/profiles/demo/${user}/stream`);
    const sse = await openSse(`/v1/profiles/demo/${user}/stream`);
    await ws.waitFor(() => true);

    const res = await del(`/v1/profiles/demo/${user}`);
    expect(res.status).toBe(200);
    const out = (await res.json()) as any;
    expect(out).toMatchObject({ erased: true, id: user, anonymous_ids: [anon], objects: 2 });
    expect(out.deletion_record).toMatch(new RegExp(`^deletions/site=demo/dt=\\d{4}-\\d{2}-\\d{2}/${user}-\\d{8}T\\d{9}\\.json$`));

    // Subscribers are told and disconnected.
    expect((await ws.waitFor((f) => f.type === "erased")).frame.profile).toBeNull();
    await ws.closed;
    await sse.waitFor((f) => f.type === "erased");
    await sse.closed;

    // The deletion record names who and when, never what.
    const record = await env.LAKE.get(out.deletion_record);
    const text = await record!.text();
    expect(JSON.parse(text)).toEqual({ type: "erasure", site: "demo", id: user, user_id: user, anonymous_ids: [anon], requested_at: expect.any(String) });
    expect(text).not.toContain("sku-secret");
    expect(text).not.toContain("private query");

    // Gone: profile, buffer, ids, timers, links; only hashed ids remain until the dedup TTL.
    for (const id of [user, anon]) {
      expect((await get(`/v1/profiles/demo/${id}`)).status).toBe(404);
      expect((await get(`/v1/profiles/demo/${id}/export`)).status).toBe(404);
      expect((await del(`/v1/profiles/demo/${id}`)).status).toBe(404);
      const d = await onDisk(stub(id));
      expect(d.doc).toMatchObject({ meta: {}, profile: null, seen: [], outbox: [] });
      expect(d.seen).toEqual([]);
      expect(d.chunks).toEqual([]);
      expect(d.tables).not.toContain("merged");
      expect(d.tombstones.length).toBeGreaterThan(0);
      expect(Object.keys(d.doc!.timers)).toEqual(["prune"]); // for the tombstones
    }
    const hashes = (await onDisk(stub(user))).tombstones;
    for (const e of [...anonBeacon.events, ...userBeacon.events] as { id: string }[]) expect(hashes).not.toContain(e.id);

    // Stays gone: client retries of the old beacons are duplicates and bring nothing back.
    expect(await (await post(anonBeacon)).json()).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    expect(await (await post(userBeacon)).json()).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect((await get(`/v1/profiles/demo/${user}`)).status).toBe(404);
    expect((await get(`/v1/profiles/demo/${anon}`)).status).toBe(404);

    // New activity afterwards starts a new profile from nothing.
    await post(envelope({ anonymous_id: anon, user_id: user }, [pageView()]));
    const fresh = (await (await get(`/v1/profiles/demo/${user}`)).json()) as any;
    expect(fresh.counts).toMatchObject({ page_view: 1, product_view: 0, search: 0, add_to_cart: 0 });
    expect(fresh.recent_searches).toEqual([]);
  });

  it("erasing by a merged anonymous id erases the user it belongs to", async () => {
    const anon = uid("anon");
    const user = uid("user");
    await post(envelope({ anonymous_id: anon, user_id: user }, [pageView()]));
    const res = await del(`/v1/profiles/demo/${anon}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: user, anonymous_ids: [anon] });
    expect((await get(`/v1/profiles/demo/${user}`)).status).toBe(404);
  });

  it("answers 404 for an id never seen and an unknown site", async () => {
    expect((await del(`/v1/profiles/demo/${uid("nobody")}`)).status).toBe(404);
    expect((await del(`/v1/profiles/nope/x`)).status).toBe(404);
  });
});
