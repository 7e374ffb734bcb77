/** Bad rows: refused events and envelopes of known sites land in rejected/ with their reason. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { keepRejected, rejectedRow, sampleRate } from "../worker/rejections";
import { eventually } from "./eventually";
import { envelope, ev, get, pageView, post, uid } from "./helpers";

async function rejectedLines(): Promise<any[]> {
  const day = new Date().toISOString().slice(0, 10);
  const list = (await (await get(`/v1/admin/lake?prefix=${encodeURIComponent(`rejected/site=demo/dt=${day}/`)}`)).json()) as { key: string }[];
  const out: any[] = [];
  for (const o of list) out.push(...(await (await get(`/v1/admin/lake/${o.key}`)).text()).trim().split("\n").map((l) => JSON.parse(l)));
  return out;
}

describe("rejected rows", () => {
  it("keeps refused events with index, id, errors and the scrubbed raw event", async () => {
    const bad = ev("product_click", { category: "shoes", note: "mail jane@mail.example" });
    const res = await post(envelope({}, [pageView(), bad]));
    expect(res.status).toBe(202);
    const row = await eventually(async () => (await rejectedLines()).find((l) => l.id === bad.id), { what: "the refused event in rejected/", ms: 20_000, every: 250 });
    expect(row).toMatchObject({ site: "demo", reason: "invalid_event", index: 1, errors: expect.arrayContaining([{ path: "props.product_id", message: expect.any(String) }, { path: "props.note", message: "unknown field" }]) });
    expect(row.raw).toContain('"product_click"');
    expect(row.raw).not.toContain("jane@");
  });

  it("keeps refused envelopes of known sites", async () => {
    const marker = uid("envelope");
    expect((await post({ site: "demo", anonymous_id: marker, events: [] })).status).toBe(400);
    const row = await eventually(async () => (await rejectedLines()).find((l) => l.reason === "invalid_envelope" && l.raw.includes(marker)), { what: "the refused envelope in rejected/", ms: 20_000, every: 250 });
    expect(row.errors.map((e: { path: string }) => e.path).sort()).toEqual(["events", "sent_at"]);
  });

  it("samples by REJECTED_SAMPLE_RATE", async () => {
    expect(sampleRate({ ...env, REJECTED_SAMPLE_RATE: "0.25" })).toBe(0.25);
    expect(sampleRate({ ...env, REJECTED_SAMPLE_RATE: "x" })).toBe(1);
    let sends = 0;
    const counting = { ...env, REJECTED_SAMPLE_RATE: "0.5", EVENTS: { send: async () => { sends++; } } } as unknown as typeof env;
    const row = rejectedRow("demo", Date.now(), "invalid_event", { index: 0, id: "x", errors: [] }, {});
    await keepRejected(counting, "demo", [row], () => 0.7);
    expect(sends).toBe(0);
    await keepRejected(counting, "demo", [row], () => 0.2);
    expect(sends).toBe(1);
  });
});

describe("rejected rows from the Segment-compatible API", () => {
  it("keeps refused messages with their messageId and errors", async () => {
    const { exports } = await import("cloudflare:workers");
    const bad = uid("segbad");
    const res = await exports.default.fetch(
      new Request("https://collector.test/v1/batch", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Basic ${btoa("test-server-key:")}` },
        body: JSON.stringify({ batch: [
          { type: "track", event: "Signed Up", anonymousId: uid("a"), messageId: uid("ok") },
          { type: "track", event: "Order Completed", anonymousId: uid("a"), messageId: bad, properties: { order_id: "o-1", revenue: -5, currency: "EUR", products: [{ product_id: "p", quantity: 1 }] } },
        ] }),
      }),
    );
    expect(res.status).toBe(200);
    const row = await eventually(async () => (await rejectedLines()).find((l) => l.id === bad), { what: "the refused Segment message in rejected/", ms: 20_000, every: 250 });
    expect(row).toMatchObject({ site: "demo", reason: "invalid_event", index: 1 });
    expect(row.errors.length).toBeGreaterThan(0);
    expect(row.raw).toContain("Order Completed");
  });
});
