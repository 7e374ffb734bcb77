/** Identity in workerd: identify merges the anonymous profile once; later anonymous beacons reach the user; signed user ids. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { eventually } from "./eventually";
import { lakeLines, today } from "./lake";
import { onDisk } from "./object-state";
import { signUserId } from "../worker/lib/identity";
import { ADMIN, envelope, ev, get, pageView, post, uid } from "./helpers";

const profile = async (site: string, id: string) => {
  const r = await get(`/v1/profiles/${site}/${id}`, ADMIN);
  return r.status === 200 ? ((await r.json()) as any) : null;
};
const stub = (site: string, id: string) => env.PROFILES.get(env.PROFILES.idFromName(`${site}:${id}`));
const SECRET = "test-identity-secret-0123456789";

describe("identity merge", () => {
  it("merges the anonymous profile into the user's once, idempotently, and forwards later anonymous beacons", async () => {
    const anon = uid("anon");
    const user = uid("user");
    const early = [ev("product_view", { product_id: "sku-1", category: "shoes", brand: "Acme" }), ev("search", { query: "boots" }), ev("add_to_cart", { product_id: "sku-1", quantity: 1, price: 40, currency: "EUR" })];
    expect((await post(envelope({ anonymous_id: anon }, early))).status).toBe(202);

    // identify as an event (no envelope user_id): the beacon goes to the user's object.
    const identify = ev("identify", { user_id: user });
    expect(await (await post(envelope({ anonymous_id: anon }, [identify, pageView()]))).json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const p = await profile("demo", user);
    expect(p).toMatchObject({ id: user, user_id: user, identity: "asserted", anonymous_ids: [anon], counts: { product_view: 1, search: 1, add_to_cart: 1, identify: 1, page_view: 1 } });
    expect(p.cart.items).toEqual([{ product_id: "sku-1", quantity: 1, price: 40, currency: "EUR" }]);
    expect(p.recent_searches.map((s: any) => s.query)).toEqual(["boots"]);
    expect(p.affinities.brands.map((b: any) => b.key)).toEqual(["Acme"]);
    expect(p.sessions.count).toBe(1);

    // Again, with the envelope's user_id: nothing is merged twice.
    await post(envelope({ anonymous_id: anon, user_id: user }, [pageView()]));
    expect((await profile("demo", user)).counts).toMatchObject({ product_view: 1, add_to_cart: 1, page_view: 2 });

    // An anonymous-only beacon (after logout, same browser) reaches the user's object...
    const later = ev("product_view", { product_id: "sku-2" });
    expect(await (await post(envelope({ anonymous_id: anon }, [later]))).json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await profile("demo", user)).counts.product_view).toBe(2);
    // ...and the anonymous id's profile is the user's.
    expect((await profile("demo", anon)).id).toBe(user);

    // Dedup holds across the merge: ids the anonymous object saw before it are duplicates now.
    expect(await (await post(envelope({ anonymous_id: anon }, early))).json()).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect(await (await post(envelope({ anonymous_id: anon, user_id: user }, early))).json()).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect(await (await post(envelope({ anonymous_id: anon }, [later]))).json()).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect((await profile("demo", user)).counts.product_view).toBe(2);

    // The anonymous object dropped its copy of the profile and points at the user.
    const d = await onDisk(stub("demo", anon));
    expect(d.doc!.meta.merged_into).toBe(user);
    expect(d.doc!.profile).toBeNull();
  });

  it("gives an anonymous id to the first user that claims it", async () => {
    const anon = uid("anon");
    const [u1, u2] = [uid("user"), uid("user")];
    await post(envelope({ anonymous_id: anon }, [ev("product_view", { product_id: "sku-1" })]));
    await post(envelope({ anonymous_id: anon, user_id: u1 }, [pageView()]));
    await post(envelope({ anonymous_id: anon, user_id: u2 }, [pageView()]));
    expect((await profile("demo", u1)).counts.product_view).toBe(1);
    expect((await profile("demo", u2)).counts.product_view).toBe(0);
    await post(envelope({ anonymous_id: anon }, [ev("search", { query: "x" })]));
    expect((await profile("demo", u1)).counts.search).toBe(1);
  });

  it("merges once even when two beacons of the same user race", async () => {
    const anon = uid("anon");
    const user = uid("user");
    await post(envelope({ anonymous_id: anon }, [ev("add_to_cart", { product_id: "sku-1", quantity: 2 })]));
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(envelope({ anonymous_id: anon, user_id: user }, [pageView()]))));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    const p = await profile("demo", user);
    expect(p.counts).toMatchObject({ add_to_cart: 1, page_view: 5 });
    expect(p.cart.items[0].quantity).toBe(2);
  });

  it("rejects an identify event that names another user than the beacon", async () => {
    const res = await post(envelope({ user_id: "u-a" }, [ev("identify", { user_id: "u-b" }), pageView()]));
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [{ index: 0, id: expect.any(String), errors: [{ path: "props.user_id", message: expect.stringContaining("must equal") }] }] });
  });
});

describe("identity verification (site requires signed user ids)", () => {
  it("trusts a correctly signed user id", async () => {
    const anon = uid("anon");
    const user = uid("user");
    const res = await post(envelope({ site: "secure", anonymous_id: anon, user_id: user, user_id_sig: await signUserId(SECRET, user) }, [pageView()]));
    expect(res.status).toBe(202);
    expect(await profile("secure", user)).toMatchObject({ user_id: user, identity: "verified", counts: { page_view: 1 } });
    // The anonymous id now belongs to the user: reading it gives the user's profile.
    expect((await profile("secure", anon)).id).toBe(user);
  });

  it("keeps an unsigned or wrongly signed claim under the anonymous id, flagged, and merges nothing", async () => {
    for (const sig of [undefined, await signUserId(SECRET, "someone-else"), await signUserId("not-the-site-secret-xx", "victim")]) {
      const anon = uid("anon");
      const e = pageView();
      const res = await post(envelope({ site: "secure", anonymous_id: anon, user_id: "victim", user_id_sig: sig }, [e, ev("identify", { user_id: "victim" })]));
      expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
      const p = await profile("secure", anon);
      expect(p).toMatchObject({ id: anon, user_id: null, identity: "none", counts: { page_view: 1, identify: 1 } });
      // What the object stored and sent on: the records in the lake.
      const buffered = await eventually(async () => {
        const lines = (await lakeLines(`events/site=secure/dt=${today()}/`)).filter((l) => l.anonymous_id === anon);
        return lines.length >= 2 ? lines : null;
      }, { what: "the records of the unverified claim in the lake", ms: 20_000, every: 250 });
      expect(buffered.map((r: any) => [r.user_id, r.identity])).toEqual([[null, "unverified"], [null, "unverified"]]);
      expect(JSON.stringify(buffered)).not.toContain(sig ?? "no-sig");
    }
    expect(await profile("secure", "victim")).toBeNull();
  });

  it("answers 400 naming user_id_sig when it is not 64 hex characters", async () => {
    const res = await post(envelope({ site: "secure", user_id: "u", user_id_sig: "nothex" }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).details[0].path).toBe("user_id_sig");
  });
});
