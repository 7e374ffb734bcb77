/** Rate limits with the real rate-limiting binding in workerd. */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../worker";
import { envelope, post } from "./helpers";

describe("rate limits", () => {
  it("answers 429 with Retry-After once a client IP is over its limit, and only for that IP", async () => {
    const ip = "198.51.100.7";
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await post(envelope(), { headers: { "cf-connecting-ip": ip } })).status);
    expect(statuses.slice(0, 20).every((s) => s === 202)).toBe(true);
    const res = await post(envelope(), { headers: { "cf-connecting-ip": ip } });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(await res.json()).toEqual({ error: "rate limited", details: [{ path: "ip", message: expect.any(String) }] });
    // The limit is checked before the body is read: even garbage gets 429, not 400.
    expect((await post(null, { raw: "{garbage", headers: { "cf-connecting-ip": ip } })).status).toBe(429);
    expect((await post(envelope(), { headers: { "cf-connecting-ip": "198.51.100.8" } })).status).toBe(202);
  });

  it("answers 429 once a site is over its limit", async () => {
    const tight = { ...env, SITE_LIMITER: (env as unknown as { TIGHT_LIMITER: RateLimit }).TIGHT_LIMITER };
    const send = () =>
      worker.fetch!(new Request("https://collector.test/v1/collect", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(envelope({ site: "shop" })) }) as never, tight, createExecutionContext());
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await send()).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429]);
    const res = await send();
    expect(await res.json()).toMatchObject({ error: "rate limited", details: [{ path: "site" }] });
  });
});

describe("rate limits on the Segment-compatible API", () => {
  it("applies the per-IP limit before the key or body is looked at", async () => {
    const { exports } = await import("cloudflare:workers");
    const ip = "198.51.100.77";
    const send = () =>
      exports.default.fetch(new Request("https://collector.test/v1/track", { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": ip, authorization: `Basic ${btoa("test-server-key:")}` }, body: JSON.stringify({ type: "track", event: "Signed Up", anonymousId: "rl-a", messageId: crypto.randomUUID() }) }));
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await send()).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(statuses[20]).toBe(429);
  });
});
