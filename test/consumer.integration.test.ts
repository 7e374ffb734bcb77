/** The queue consumer in workerd: key layout, NDJSON content, ack before/after R2, idempotent redelivery. */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlushChunk } from "../schemas";
import worker from "../worker";
import { gunzip } from "../worker/lib/lake";
import { uid } from "./helpers";
import { record } from "./records";

const chunk = (records = [record(), record()], id = uid("chunk")): FlushChunk => ({ v: 1, chunk: id, site: "demo", records });
const msg = (body: unknown, attempts = 1) => ({ id: uid("m"), timestamp: new Date(), attempts, body });

async function run(messages: ReturnType<typeof msg>[], e: typeof env = env) {
  const batch = createMessageBatch("collector-events", messages);
  const ctx = createExecutionContext();
  await worker.queue!(batch as never, e, ctx);
  return getQueueResult(batch, ctx);
}

async function objectsUnder(prefix: string) {
  const list = await env.LAKE.list({ prefix });
  return Promise.all(list.objects.map(async (o: R2Object) => ({ key: o.key, lines: (await gunzip((await env.LAKE.get(o.key))!.body)).trim().split("\n").map((l: string) => JSON.parse(l) as Record<string, any>) })));
}

describe("queue consumer", () => {
  it("takes a chunk once when a re-send lands in the same batch as its first send", async () => {
    const at = "2031-03-04T05:06:07.000Z";
    const c = chunk([record({ received_at: at, ts: at }), record({ received_at: at, ts: at })]);
    const [m1, m2] = [msg(c), msg(structuredClone(c))];
    const result = await run([m1, m2]);
    expect(result.explicitAcks.sort()).toEqual([m1.id, m2.id].sort());
    const objs = await objectsUnder("events/site=demo/dt=2031-03-04/hr=05/");
    expect(objs.flatMap((o) => o.lines.map((l: any) => l.id)).sort()).toEqual(c.records.map((r) => r.id).sort());
  });

  it("writes one gzip NDJSON object per batch and partition, then acks", async () => {
    const at = "2031-02-03T04:05:06.789Z";
    const a = chunk([record({ received_at: at, ts: at }), record({ received_at: at, ts: at })]);
    const b = chunk([record({ received_at: at, ts: at })]);
    const m1 = msg(a);
    const m2 = msg(b);
    const result = await run([m1, m2]);
    expect(result.explicitAcks.sort()).toEqual([m1.id, m2.id].sort());
    expect(result.retryMessages).toEqual([]);
    const objs = await objectsUnder("events/site=demo/dt=2031-02-03/hr=04/");
    expect(objs).toHaveLength(1);
    expect(objs[0]!.key).toMatch(/^events\/site=demo\/dt=2031-02-03\/hr=04\/20310203T040506-[0-9a-f]{20}\.ndjson\.gz$/);
    expect(objs[0]!.lines.map((l: any) => l.id).sort()).toEqual([...a.records, ...b.records].map((r) => r.id).sort());
    expect(objs[0]!.lines[0]).toMatchObject({ site: "demo", type: "page_view", received_at: at, geo: expect.any(Object), ua: expect.any(Object) });
  });

  it("splits records across hours into separate objects", async () => {
    const r1 = record({ received_at: "2031-03-01T10:59:59.999Z" });
    const r2 = record({ received_at: "2031-03-01T11:00:00.000Z" });
    await run([msg(chunk([r1, r2]))]);
    expect((await objectsUnder("events/site=demo/dt=2031-03-01/hr=10/"))[0]!.lines.map((l: any) => l.id)).toEqual([r1.id]);
    expect((await objectsUnder("events/site=demo/dt=2031-03-01/hr=11/"))[0]!.lines.map((l: any) => l.id)).toEqual([r2.id]);
  });

  it("writes a chunk once when the same batch is delivered again", async () => {
    const at = "2031-04-01T00:00:00.000Z";
    const c = chunk([record({ received_at: at })]);
    await run([msg(c)]);
    const again = await run([msg(c, 2)]);
    expect(again.explicitAcks).toHaveLength(1);
    const objs = await objectsUnder("events/site=demo/dt=2031-04-01/");
    expect(objs).toHaveLength(1);
    expect(objs[0]!.lines).toHaveLength(1);
  });

  it("writes a chunk once when it arrives twice in the same batch (re-sent after a crash)", async () => {
    const at = "2031-04-04T00:00:00.000Z";
    const c = chunk([record({ received_at: at }), record({ received_at: at })]);
    const [m1, m2] = [msg(c), msg(c)];
    const res = await run([m1, m2]);
    expect(res.explicitAcks.sort()).toEqual([m1.id, m2.id].sort());
    const lines = (await objectsUnder("events/site=demo/dt=2031-04-04/")).flatMap((o) => o.lines);
    expect(lines.map((l: any) => l.id).sort()).toEqual(c.records.map((r) => r.id).sort());
  });

  it("writes a chunk once when it comes back grouped with others (consumer died after the put)", async () => {
    const at = "2031-04-02T00:00:00.000Z";
    const old = chunk([record({ received_at: at }), record({ received_at: at })]);
    // First run: the put succeeds but the ledger never hears the commit, as if the run died.
    const lostCommit = {
      ...env,
      LEDGER: { idFromName: (n: string) => env.LEDGER.idFromName(n), get: (id: DurableObjectId) => {
        const real = env.LEDGER.get(id);
        return { claim: (...a: Parameters<typeof real.claim>) => real.claim(...a), release: (k: string) => real.release(k), commit: async () => { throw new Error("injected: run died"); } };
      } },
    } as unknown as typeof env;
    await run([msg(old)], lostCommit);
    const fresh = chunk([record({ received_at: at })]);
    const res = await run([msg(fresh), msg(old, 2)]);
    expect(res.explicitAcks).toHaveLength(2);
    const lines = (await objectsUnder("events/site=demo/dt=2031-04-02/")).flatMap((o) => o.lines);
    const ids = lines.map((l: any) => l.id).sort();
    expect(ids).toEqual([...old.records, ...fresh.records].map((r) => r.id).sort());
  });

  it("leaves a chunk to a run that claimed it moments ago, and takes it over once the lease ran out", async () => {
    const at = "2031-04-03T00:00:00.000Z";
    const c = chunk([record({ received_at: at })]);
    const ledger = env.LEDGER.get(env.LEDGER.idFromName("events/site=demo/dt=2031-04-03/hr=00"));
    await ledger.claim([c.chunk], "events/site=demo/dt=2031-04-03/hr=00/other-run.ndjson.gz");
    const m = msg(c, 2);
    const res = await run([m]);
    expect(res.retryMessages.map((r) => r.msgId)).toEqual([m.id]);
    expect(await objectsUnder("events/site=demo/dt=2031-04-03/")).toHaveLength(0);
    // The other run never wrote anything; three minutes on, its claim is stale.
    const c2 = chunk([record({ received_at: at })]);
    await ledger.claim([c2.chunk], "events/site=demo/dt=2031-04-03/hr=00/stale-run.ndjson.gz", Date.now() - 3 * 60_000);
    const res2 = await run([msg(c2, 3)]);
    expect(res2.explicitAcks).toHaveLength(1);
    expect((await objectsUnder("events/site=demo/dt=2031-04-03/")).flatMap((o) => o.lines).map((l: any) => l.id)).toEqual([c2.records[0]!.id]);
  });

  it("retries every message when R2 refuses the write, and writes nothing partial", async () => {
    const at = "2031-05-01T00:00:00.000Z";
    const failing = { ...env, LAKE: { put: async () => { throw new Error("injected: R2 unavailable"); }, head: (k: string) => env.LAKE.head(k) } } as unknown as typeof env;
    const m = msg(chunk([record({ received_at: at })]), 3);
    const result = await run([m], failing);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual([m.id]);
    expect(await objectsUnder("events/site=demo/dt=2031-05-01/")).toHaveLength(0);
    // The claim was released: the retry writes at once instead of waiting for the lease.
    const again = await run([m]);
    expect(again.explicitAcks).toEqual([m.id]);
    expect((await objectsUnder("events/site=demo/dt=2031-05-01/"))[0]!.lines).toHaveLength(1);
  });

  it("writes a chunk once when R2 wrote the object but answered with an error (ambiguous put)", async () => {
    const at = "2031-05-02T00:00:00.000Z";
    const ambiguous = {
      ...env,
      LAKE: { put: async (...a: Parameters<R2Bucket["put"]>) => { await env.LAKE.put(...a); throw new Error("injected: connection reset after the write"); }, head: (k: string) => env.LAKE.head(k) },
    } as unknown as typeof env;
    const c = chunk([record({ received_at: at }), record({ received_at: at })]);
    const m = msg(c);
    const first = await run([m], ambiguous);
    // The object is there, so the message is settled rather than retried into a second copy.
    expect(first.explicitAcks).toEqual([m.id]);
    // Delivered again anyway (at-least-once), alone and grouped with a new chunk.
    const fresh = chunk([record({ received_at: at })]);
    const again = await run([msg(c, 2), msg(fresh)]);
    expect(again.explicitAcks).toHaveLength(2);
    const ids = (await objectsUnder("events/site=demo/dt=2031-05-02/")).flatMap((o) => o.lines).map((l: any) => l.id).sort();
    expect(ids).toEqual([...c.records, ...fresh.records].map((r) => r.id).sort());
  });

  it("keeps the claim when R2 can tell neither way, so a later run checks R2 instead of writing twice", async () => {
    const at = "2031-05-03T00:00:00.000Z";
    const blind = {
      ...env,
      LAKE: { put: async (...a: Parameters<R2Bucket["put"]>) => { await env.LAKE.put(...a); throw new Error("injected: timeout"); }, head: async () => { throw new Error("injected: R2 unavailable"); } },
    } as unknown as typeof env;
    const c = chunk([record({ received_at: at })]);
    const m = msg(c);
    const first = await run([m], blind);
    expect(first.retryMessages.map((r) => r.msgId)).toEqual([m.id]);
    // The retry finds the claim of the first run and its object in R2: the chunk is done.
    const again = await run([msg(c, 2)]);
    expect(again.explicitAcks).toHaveLength(1);
    const ids = (await objectsUnder("events/site=demo/dt=2031-05-03/")).flatMap((o) => o.lines).map((l: any) => l.id);
    expect(ids).toEqual([c.records[0]!.id]);
  });

  it("retries a malformed message (so it ends in the dead-letter queue) without blocking good ones", async () => {
    const good = msg(chunk([record({ received_at: "2031-06-01T00:00:00.000Z" })]));
    const bad = msg({ hello: "world" });
    const result = await run([good, bad]);
    expect(result.explicitAcks).toEqual([good.id]);
    expect(result.retryMessages.map((r) => r.msgId)).toEqual([bad.id]);
  });
});
