/**
 * The Pipelines switch in workerd: the queue consumer sends stored records to Miniflare's local
 * Pipelines binding (which accepts and discards: what reaches Iceberg is not visible locally)
 * before it writes NDJSON; a failed send retries the chunk; off by default.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlushChunk } from "../schemas";
import worker from "../worker";
import { uid } from "./helpers";
import { everyType } from "./lake-fixtures";

type E = typeof env;
async function consume(chunk: FlushChunk, e: E) {
  const msg = { id: uid("m"), timestamp: new Date(), attempts: 1, body: chunk };
  const batch = createMessageBatch("collector-events", [msg]);
  const ctx = createExecutionContext();
  await worker.queue!(batch as never, e, ctx);
  return getQueueResult(batch, ctx);
}
function recording(fail = false) {
  const sent: Record<string, unknown>[][] = [];
  const real = env.LAKE_STREAM!;
  return {
    sent,
    stream: { async send(rows: Record<string, unknown>[]) {
      if (fail) throw new Error("injected: stream unavailable");
      await real.send(rows); // the local binding: accepts, discards
      sent.push(rows);
    } },
  };
}
const hourOf = (iso: string) => `events/site=demo/dt=${iso.slice(0, 10)}/hr=${iso.slice(11, 13)}/`;

describe("Pipelines stream switch", () => {
  it("the local binding accepts the consumer's records (and discards them)", async () => {
    expect(env.LAKE_STREAM).toBeDefined();
    const records = everyType("2032-01-02T03:00:00.000Z");
    const res = await consume({ v: 1, chunk: uid("chunk"), site: "demo", records }, { ...env, PIPELINE_STREAM: "1" });
    expect(res.retryMessages).toEqual([]);
    expect((await env.LAKE.list({ prefix: hourOf(records[0]!.received_at) })).objects).toHaveLength(1);
  });

  it("sends every record of a chunk, as rows of the stream schema, before the NDJSON object", async () => {
    const records = everyType("2032-01-02T04:00:00.000Z");
    const { sent, stream } = recording();
    await consume({ v: 1, chunk: uid("chunk"), site: "demo", records }, { ...env, PIPELINE_STREAM: "1", LAKE_STREAM: stream });
    const rows = sent.flat();
    expect(rows.map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
    expect(rows.find((r) => r.type === "purchase")).toMatchObject({ order_id: "o-1", revenue: 119.8, currency: "EUR", ts: Date.parse(records.find((r) => r.type === "purchase")!.ts) });
  });

  it("a failed send writes nothing and retries the chunk; the retry sends it again (at least once into the stream)", async () => {
    const records = everyType("2032-01-02T05:00:00.000Z");
    const chunk: FlushChunk = { v: 1, chunk: uid("chunk"), site: "demo", records };
    const failing = await consume(chunk, { ...env, PIPELINE_STREAM: "1", LAKE_STREAM: recording(true).stream });
    expect(failing.retryMessages).toHaveLength(1);
    expect((await env.LAKE.list({ prefix: hourOf(records[0]!.received_at) })).objects).toHaveLength(0);
    const { sent, stream } = recording();
    const ok = await consume(chunk, { ...env, PIPELINE_STREAM: "1", LAKE_STREAM: stream });
    expect(ok.retryMessages).toEqual([]);
    expect(sent.flat()).toHaveLength(records.length);
    expect((await env.LAKE.list({ prefix: hourOf(records[0]!.received_at) })).objects).toHaveLength(1);
  });

  it("is off by default: nothing is sent", async () => {
    const { sent, stream } = recording();
    await consume({ v: 1, chunk: uid("chunk"), site: "demo", records: everyType("2032-01-02T06:00:00.000Z") }, { ...env, LAKE_STREAM: stream });
    expect(sent).toEqual([]);
  });
});
