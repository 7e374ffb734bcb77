/**
 * Dead letters end to end in workerd, through the real local queues of wrangler.toml: a message
 * whose R2 write keeps failing (the R2 binding is wrapped here, only for its partition) is
 * retried max_retries times, moved to collector-events-dlq, written to deadletter/ by the
 * dead-letter consumer, and replayed through the normal path exactly once, also when replayed
 * again or when a replay is cut short before its marker was written.
 */
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { FlushChunk } from "../schemas";
import { markerKey } from "../worker/lake/replay";
import { gunzip } from "../worker/lib/lake";
import { eventually } from "./eventually";
import { ADMIN, uid } from "./helpers";
import { record } from "./records";

/** wrangler.toml: [[queues.consumers]] collector-events max_retries = 10. */
const MAX_RETRIES = 10;
const restore: (() => void)[] = [];
afterEach(() => restore.splice(0).forEach((f) => f()));

async function linesUnder(prefix: string): Promise<any[]> {
  const out: any[] = [];
  for (const o of (await env.LAKE.list({ prefix })).objects) out.push(...(await gunzip((await env.LAKE.get(o.key))!.body)).split("\n").filter(Boolean).map((l) => JSON.parse(l)));
  return out;
}

const replay = (prefix: string) => exports.default.fetch(new Request("https://collector.test/v1/admin/lake/replay", { method: "POST", headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify({ prefix }) }));

describe("dead letters, end to end", () => {
  it("a message that keeps failing reaches the DLQ after max_retries, is kept in deadletter/, and replays exactly once", async () => {
    // A partition of its own, so the wrapped binding fails this message only.
    const at = "2031-07-07T07:07:07.000Z";
    const partition = "events/site=demo/dt=2031-07-07/hr=07/";
    const chunk: FlushChunk = { v: 1, chunk: uid("poison"), site: "demo", records: [record({ received_at: at, ts: at }), record({ received_at: at, ts: at })] };

    // Test-only wrapping of the real bindings: R2 refuses this partition's writes; retries are not delayed.
    const lake = env.LAKE as R2Bucket & { put: R2Bucket["put"] };
    const put = lake.put;
    let failures = 0;
    let failing = true;
    lake.put = function (this: R2Bucket, key: string, ...rest: unknown[]) {
      if (failing && key.startsWith(partition)) {
        failures++;
        return Promise.reject(new Error("injected: R2 refuses this partition"));
      }
      return (put as (...a: unknown[]) => Promise<R2Object | null>).call(this, key, ...rest);
    } as R2Bucket["put"];
    const e = env as { QUEUE_RETRY_MAX_SECONDS?: string };
    const cap = e.QUEUE_RETRY_MAX_SECONDS;
    e.QUEUE_RETRY_MAX_SECONDS = "0";
    restore.push(() => ((lake.put = put), (e.QUEUE_RETRY_MAX_SECONDS = cap)));

    await env.EVENTS.send(chunk, { contentType: "json" });
    const dead = await eventually(async () => (await linesUnder("deadletter/queue=collector-events-dlq/")).find((l) => l.body?.chunk === chunk.chunk), { what: "the poison message in deadletter/", ms: 90_000, every: 500 });
    expect(failures).toBe(MAX_RETRIES + 1); // the first attempt and every retry, then the DLQ
    expect(dead.body.records.map((r: any) => r.id)).toEqual(chunk.records.map((r) => r.id));
    expect(await linesUnder(partition)).toEqual([]);
    failing = false; // R2 is back

    expect((await replay("events/")).status).toBe(400);
    const res = await replay("deadletter/queue=collector-events-dlq/");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ objects: 1, messages: 1, events: 2, already_replayed: 0, skipped: [] });
    const ids = async () => (await linesUnder(partition)).map((l) => l.id).sort();
    const want = chunk.records.map((r) => r.id).sort();
    await eventually(async () => (await ids()).length >= 2, { what: "the replayed events in the lake", ms: 20_000, every: 250 });
    expect(await ids()).toEqual(want);

    // Replayed again: the marker stops it.
    expect(await (await replay("deadletter/queue=collector-events-dlq/")).json()).toMatchObject({ objects: 0, messages: 0, already_replayed: 1 });
    // A replay that died after sending but before its marker: sent again, and the lake ledger takes it once.
    const key = (await env.LAKE.list({ prefix: "deadletter/queue=collector-events-dlq/" })).objects[0]!.key;
    await env.LAKE.delete(markerKey(key));
    expect(await (await replay("deadletter/queue=collector-events-dlq/")).json()).toMatchObject({ objects: 1, messages: 1 });
    await new Promise((r) => setTimeout(r, 5000)); // a consumer batch (2 s) and then some
    expect(await ids()).toEqual(want);
  }, 150_000);
});
