/**
 * Erasure reaches the lake, end to end in workerd: two people's events in the same objects of
 * events/, rejected/, deadletter/ and parquet/ (a compacted generation); one is erased; the purge job is killed mid-run (twice:
 * hung after a rewrite, and failing after one), re-run by its Cron Trigger and by the admin
 * route. Afterwards the erased person's lines are gone, the other person's are all there exactly
 * once, each removal was counted once, and reruns do nothing new. Faults come from wrapping the
 * R2 binding here; production code has none.
 */
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FlushChunk } from "../schemas";
import worker from "../worker";
import { LEASE_MS } from "../durable-objects/purge-ledger";
import { runPurge } from "../worker/lake/purge";
import { PURGE_CRON } from "../worker/scheduled";
import { gunzip } from "../worker/lib/lake";
import { eventually } from "./eventually";
import { ADMIN, envelope, ev, get, pageView, post, uid } from "./helpers";
import { readParquet } from "./parquet-read";
import { record } from "./records";

type Line = Record<string, any>;

/** Every line under a prefix, with the object it is in. */
async function lines(prefix: string): Promise<{ key: string; line: Line }[]> {
  const out: { key: string; line: Line }[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.LAKE.list({ prefix, cursor });
    for (const o of page.objects) {
      const obj = (await env.LAKE.get(o.key))!;
      const text = o.key.endsWith(".gz") ? await gunzip(obj.body) : await obj.text();
      for (const l of text.split("\n").filter(Boolean)) out.push({ key: o.key, line: JSON.parse(l) });
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out;
}

/** Every row of every Parquet generation under a prefix. */
async function parquetRows(prefix: string): Promise<Line[]> {
  const out: Line[] = [];
  for (const o of (await env.LAKE.list({ prefix })).objects) if (o.key.endsWith(".parquet")) out.push(...(await readParquet(await (await env.LAKE.get(o.key))!.arrayBuffer())));
  return out;
}

/** Ids of a person's records in events/, rejected/ (row ids), deadletter/ (records inside lines) and parquet/, with repeats. */
async function idsOf(who: { anon: string; user?: string }) {
  const mine = (r: Line) => (who.user && r.user_id === who.user) || (!r.user_id && r.anonymous_id === who.anon);
  const events = (await lines("events/site=demo/")).filter((x) => mine(x.line)).map((x) => x.line.id as string);
  const rejected = (await lines("rejected/site=demo/")).filter((x) => mine(x.line)).map((x) => `${x.line.received_at}:${x.line.index}:${x.line.id}`);
  const dead = (await lines("deadletter/")).flatMap((x) => (x.line.body?.records ?? []) as Line[]).filter(mine).map((r) => r.id as string);
  const parquet = (await parquetRows("parquet/site=demo/")).filter(mine).map((r) => r.id as string);
  return { events, rejected, dead, parquet };
}

const purgeHttp = () => exports.default.fetch(new Request("https://collector.test/v1/admin/lake/purge", { method: "POST", headers: ADMIN }));

/** The lake binding with a fault after the n-th rewrite of an existing object (not the purge records). */
function faulty(n: number, fault: "hang" | "throw") {
  let rewrites = 0;
  const lake = env.LAKE;
  return new Proxy(lake, {
    get(target, prop) {
      if (prop === "put") {
        return async (key: string, value: unknown, opts?: R2PutOptions) => {
          const written = await target.put(key, value as never, opts);
          if (!key.startsWith("purges/") && ++rewrites === n) {
            if (fault === "hang") return new Promise(() => {}); // killed: written, never confirmed, never returns
            throw new Error("injected: worker killed right after an R2 write");
          }
          return written;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as R2Bucket;
}

describe("lake purge", () => {
  it("removes an erased person's lines from events/, rejected/ and deadletter/ exactly once, through kills and reruns, and keeps everyone else's", async () => {
    const [anonA, userA, anonB] = [uid("anonA"), uid("userA"), uid("anonB")];
    // Person A: anonymous browsing, then signed in (merged); person B: anonymous. Posted together so their
    // flushes meet in the same consumer batches, hence the same objects. Each beacon has one bad event (rejected/).
    const bad = () => ev("product_view", { no_product: true });
    const beacons = [
      envelope({ anonymous_id: anonA }, [pageView(), ev("product_view", { product_id: "sku-a" }), bad()]),
      envelope({ anonymous_id: anonB }, [pageView(), ev("search", { query: "b's search" }), bad()]),
      envelope({ anonymous_id: anonA, user_id: userA }, [ev("add_to_cart", { product_id: "sku-a", quantity: 1 }), bad()]),
      envelope({ anonymous_id: anonB }, [ev("product_view", { product_id: "sku-b" }), ev("add_to_cart", { product_id: "sku-b", quantity: 2 })]),
    ];
    for (const b of await Promise.all(beacons.map((b) => post(b)))) expect(b.status).toBe(202);
    const wantB = { events: 4, rejected: 1 };
    await eventually(async () => {
      const [a, b] = [await idsOf({ anon: anonA, user: userA }), await idsOf({ anon: anonB })];
      return a.events.length === 3 && a.rejected.length === 2 && b.events.length === wantB.events && b.rejected.length === wantB.rejected;
    }, { what: "both people's events and rejected rows in the lake", ms: 25_000, every: 250 });

    // Dead letters carrying both people's records (one message each, one mixed), in one object.
    const recA = record({ anonymous_id: anonA, user_id: userA });
    const recB = record({ anonymous_id: anonB });
    const recB2 = record({ anonymous_id: anonB });
    const chunk = (records: ReturnType<typeof record>[]): FlushChunk => ({ v: 1, chunk: uid("chunk"), site: "demo", records });
    const dlq = createMessageBatch("collector-events-dlq", [chunk([recA]), chunk([recB]), chunk([recA, recB2])].map((body) => ({ id: uid("m"), timestamp: new Date(), attempts: 11, body })));
    const qctx = createExecutionContext();
    await worker.queue!(dlq as never, env, qctx);
    expect((await getQueueResult(dlq, qctx)).ackAll).toBe(true);

    // Compact the hours they are in: both people's events in the same Parquet generation too.
    const hours = new Set((await lines("events/site=demo/")).map((x) => /dt=([^/]+)\/hr=(\d\d)\//.exec(x.key)!.slice(1, 3).join("/")));
    for (const h of hours) {
      const [dt, hr] = h.split("/");
      const res = await exports.default.fetch(new Request("https://collector.test/v1/admin/lake/compact", { method: "POST", headers: { ...ADMIN, "content-type": "application/json" }, body: JSON.stringify({ site: "demo", dt, hr }) }));
      expect(res.status).toBe(200);
    }

    const before = { a: await idsOf({ anon: anonA, user: userA }), b: await idsOf({ anon: anonB }) };
    expect(before.a.parquet.sort()).toEqual(before.a.events.sort());
    expect(before.b.parquet.sort()).toEqual(before.b.events.sort());
    expect(before.a.dead).toHaveLength(2);
    expect(before.b.dead).toHaveLength(2);
    const totalA = before.a.events.length + before.a.rejected.length + before.a.dead.length + before.a.parquet.length; // 3 + 2 + 2 + 3
    const allEvents = await lines("events/site=demo/");
    const shared = new Set(allEvents.filter((x) => x.line.anonymous_id === anonA).map((x) => x.key));
    expect(allEvents.some((x) => x.line.anonymous_id === anonB && shared.has(x.key)), "A and B share an events/ object").toBe(true);

    // Erase A (by user id); A comes back afterwards as a new visitor on the same browser: that stays.
    const del = await exports.default.fetch(new Request(`https://collector.test/v1/profiles/demo/${userA}`, { method: "DELETE", headers: ADMIN }));
    expect(del.status).toBe(200);
    const deletion = ((await del.json()) as any).deletion_record as string;
    const after = ev("page_view", { path: "/again" });
    expect((await post(envelope({ anonymous_id: anonA }, [after]))).status).toBe(202);
    await eventually(async () => (await idsOf({ anon: anonA })).events.includes(after.id), { what: "A's new event in the lake", ms: 25_000, every: 250 });

    const expectB = async () => {
      const b = await idsOf({ anon: anonB });
      expect(b.events.sort()).toEqual(before.b.events.sort()); // all there, exactly once
      expect(b.rejected.sort()).toEqual(before.b.rejected.sort());
      expect(b.dead.sort()).toEqual(before.b.dead.sort());
      expect(b.parquet.sort()).toEqual(before.b.parquet.sort());
    };

    // Run 1: killed after its first rewrite reached R2 (the promise never settles, the lease stays taken).
    void runPurge(env, { lake: faulty(1, "hang") });
    await eventually(async () => ((await (await get("/v1/admin/stats/demo")).json()) as any).purge.scan !== null, { what: "run 1's scan started", ms: 10_000, every: 100 });
    await new Promise((r) => setTimeout(r, 500));
    await expectB();
    // While its lease holds, another run is refused (409), not run alongside.
    expect((await purgeHttp()).status).toBe(409);

    // Run 2 (after the lease ran out): dies with an error right after its first own rewrite.
    const later = Date.now() + LEASE_MS + 1000;
    await expect(runPurge(env, { now: later, lake: faulty(1, "throw") })).rejects.toThrow(/injected/);
    await expectB();

    // Run 3: the Cron Trigger, same code; finishes the work.
    const controller = createScheduledController({ cron: PURGE_CRON, scheduledTime: new Date() });
    const sctx = createExecutionContext();
    await worker.scheduled!(controller, env, sctx);
    await waitOnExecutionContext(sctx);
    await expectB();
    const a = await idsOf({ anon: anonA, user: userA });
    expect(a.events).toEqual([after.id]); // only what came after the erasure
    expect(a.rejected).toEqual([]);
    expect(a.dead).toEqual([]);
    expect(a.parquet).toEqual([]); // the generation compacted before the erasure, rewritten

    // Each removal counted once across the three runs; the ledger, the stats and the purge record agree.
    const stats = (await (await get("/v1/admin/stats/demo")).json()) as any;
    expect(stats.purge).toMatchObject({ pending_deletions: 0, scan: null, totals: { deletions_applied: 1, events_removed: totalA } });
    expect(stats.totals.purge_deletions_applied).toBe(1);
    expect(stats.totals.purge_events_removed).toBe(totalA);
    const purged = JSON.parse(await (await env.LAKE.get(`purges/${deletion.slice("deletions/".length)}`))!.text());
    expect(purged).toMatchObject({ type: "purge", deletion, site: "demo", id: userA, events_removed: totalA });
    expect(purged.objects.reduce((n: number, o: any) => n + o.events_removed, 0)).toBe(totalA);
    expect(JSON.stringify(purged)).not.toContain("sku-a");

    // Reruns do nothing new.
    const rerun = await purgeHttp();
    expect(rerun.status).toBe(200);
    expect(await rerun.json()).toMatchObject({ deletions_applied: 0, objects_rewritten: 0, events_removed: 0, complete: true, pending_deletions: 0 });
    await expectB();
  }, 120_000);

  it("needs the admin token", async () => {
    expect((await exports.default.fetch(new Request("https://collector.test/v1/admin/lake/purge", { method: "POST" }))).status).toBe(401);
  });
});
