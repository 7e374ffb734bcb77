/** Live push: two subscribers (WebSocket with hibernation, and SSE) see every accepted event's profile. */
import { describe, expect, it } from "vitest";
import { ADMIN, envelope, ev, get, pageView, post, uid } from "./helpers";
import { openSse, openWebSocket } from "./subscribe";

/** Tests that assert a latency: one retry, as a stall of this shared 2-core machine (another test file's load) can slow one attempt; a latency that is over the bound every time still fails. */
const TIMED = { retry: 1 };

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))]!;

describe("GET /v1/profiles/:site/:id/stream", () => {
  it("needs the admin token and a known site", async () => {
    const id = uid("anon");
    expect((await openSse(`/v1/profiles/demo/${id}/stream`, {})).status).toBe(401);
    expect((await openWebSocket(`/v1/profiles/demo/${id}/stream`, { authorization: "Bearer wrong" })).status).toBe(401);
    expect((await openSse(`/v1/profiles/nope/${id}/stream`)).status).toBe(404);
  });

  it("pushes the updated profile to every subscriber within 100 ms of each accepted event", TIMED, async () => {
    const anon = uid("anon");
    const path = `/v1/profiles/demo/${anon}/stream`;
    const ws = await openWebSocket(path);
    const sse = await openSse(path);
    expect(ws.status).toBe(101);
    expect(sse.status).toBe(200);
    expect(sse.contentType).toContain("text/event-stream");
    // Both get the current state first (no profile yet).
    expect((await ws.waitFor((f) => f.type === "profile")).frame.profile).toBeNull();
    expect((await sse.waitFor((f) => f.type === "profile")).frame.profile).toBeNull();

    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const e = ev("product_view", { product_id: `sku-${i}`, category: "shoes" });
      const t0 = Date.now();
      const answer = post(envelope({ anonymous_id: anon }, [e]));
      const has = (f: { events: { id: string }[] }) => f.events.some((x) => x.id === e.id);
      const [a, b] = await Promise.all([ws.waitFor(has), sse.waitFor(has)]);
      expect((await answer).status).toBe(202);
      delays.push(Math.max(a.at, b.at) - t0);
      expect(a.frame.profile.counts.product_view).toBe(i + 1);
      expect(b.frame.profile.recent_products[0].product_id).toBe(`sku-${i}`);
    }
    const median = pct(delays, 0.5);
    const max = Math.max(...delays);
    console.log(`push delay, POST start -> frame at both subscribers, 20 events: median ${median} ms, p90 ${pct(delays, 0.9)} ms, max ${max} ms`);
    // The target is 100 ms; single frames can be late when other test files (chaos) share the CPU.
    expect(median).toBeLessThan(100);
    expect(pct(delays, 0.9)).toBeLessThan(150);
    expect(max).toBeLessThan(1000);

    // A duplicate beacon changes nothing and pushes nothing.
    const before = ws.frames.length;
    const dup = ev("page_view", { path: "/" });
    await post(envelope({ anonymous_id: anon }, [dup]));
    await ws.waitFor((f) => f.events.some((x) => x.id === dup.id));
    await post(envelope({ anonymous_id: anon }, [dup]));
    await new Promise((r) => setTimeout(r, 200));
    expect(ws.frames.length).toBe(before + 1);

    // Frames keep their order.
    const seqs = ws.frames.map((f) => f.frame.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    ws.close();
    sse.close();
  });

  it("tells an anonymous id's subscribers when it merges into a user, and reconnecting follows the user", async () => {
    const anon = uid("anon");
    const user = uid("user");
    await post(envelope({ anonymous_id: anon }, [ev("search", { query: "hats" })]));
    const before = await openSse(`/v1/profiles/demo/${anon}/stream`);
    await before.waitFor((f) => f.profile?.id === anon);
    await post(envelope({ anonymous_id: anon, user_id: user }, [pageView()]));
    expect((await before.waitFor((f) => f.type === "merged")).frame.profile).toEqual({ into: user });
    await before.closed;
    // The same URL now reaches the user's object (a WebSocket is proxied through the anonymous one).
    const after = await openWebSocket(`/v1/profiles/demo/${anon}/stream`);
    expect((await after.waitFor(() => true)).frame.profile).toMatchObject({ id: user, counts: { search: 1, page_view: 1 } });
    const e = ev("product_view", { product_id: "sku-7" });
    await post(envelope({ anonymous_id: anon }, [e]));
    expect((await after.waitFor((f) => f.events.some((x) => x.id === e.id))).frame.profile.id).toBe(user);
    after.close();
  });

  it("answers a WebSocket 'profile' request with the current profile", async () => {
    const anon = uid("anon");
    await post(envelope({ anonymous_id: anon }, [ev("search", { query: "hats" })]));
    const ws = await openWebSocket(`/v1/profiles/demo/${anon}/stream`);
    const first = await ws.waitFor(() => true);
    expect(first.frame.profile.recent_searches[0].query).toBe("hats");
    ws.send("profile");
    const again = await ws.waitFor((f) => f.seq === 0);
    expect(again.frame.profile.counts.search).toBe(1);
    ws.close();
    const profile = await (await get(`/v1/profiles/demo/${anon}`, ADMIN)).json();
    expect((profile as any).counts.search).toBe(1);
  });
});
