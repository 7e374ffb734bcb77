/** The local defaults of `npm run dev` (e2e/support/collector.ts uses the same vars): demo's read key reads profiles, nothing else. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../test/eventually";
import { ADMIN_TOKEN, READ_KEY, SERVER_KEY, startCollector, type Collector } from "./support/collector";

let c: Collector;
beforeAll(async () => {
  c = await startCollector();
});
afterAll(() => c?.stop());

const call = (path: string, authorization?: string, method = "GET") => fetch(`${c.url}${path}`, { method, headers: authorization ? { authorization } : {} });

describe("read key dev-read-key on a running collector", () => {
  it("reads a profile of demo that a server key wrote, and nothing an operator reads", async () => {
    const id = `u-access-${Date.now()}`;
    const sent = await fetch(`${c.url}/v1/track`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`${SERVER_KEY}:`)}`, "content-type": "application/json" },
      body: JSON.stringify({ userId: id, event: "Signed Up", messageId: `m-${id}`, timestamp: new Date().toISOString() }),
    });
    expect(sent.status).toBe(200);
    const profile = await eventually(async () => {
      const r = await call(`/v1/profiles/demo/${id}`, `Bearer ${READ_KEY}`);
      return r.status === 200 ? ((await r.json()) as { id: string }) : null;
    }, { what: "the profile readable with the read key", ms: 30_000, every: 200 });
    expect(profile.id).toBe(id);

    for (const [path, method] of [["/v1/admin/lake?prefix=events/", "GET"], [`/v1/profiles/demo/${id}/export`, "GET"], [`/v1/profiles/demo/${id}`, "DELETE"], ["/v1/admin/stats/demo", "GET"]] as const) {
      const r = await call(path, `Bearer ${READ_KEY}`, method);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(((await r.json()) as { details: { path: string }[] }).details[0]!.path).toBe("authorization");
    }
    expect((await call(`/v1/profiles/demo/${id}`)).status).toBe(401);
    expect((await call(`/v1/profiles/demo/${id}`, `Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    // A read key is not a write key.
    const write = await fetch(`${c.url}/v1/track`, { method: "POST", headers: { authorization: `Basic ${btoa(`${READ_KEY}:`)}`, "content-type": "application/json" }, body: JSON.stringify({ userId: id, event: "X", messageId: `m2-${id}` }) });
    expect(write.status).toBe(403);
  });
});
