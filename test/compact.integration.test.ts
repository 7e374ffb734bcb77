/**
 * Parquet compaction in workerd, against the real consumer, manifest and R2: exactly once across
 * repeated runs, late objects, crashes (faults injected by wrapping the bindings here, never in
 * production code), concurrent runs; the admin route, the cron dispatch and NDJSON retention.
 */
/// <reference types="vite/client" />
import { createExecutionContext, createMessageBatch, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import wranglerToml from "../wrangler.toml?raw";
import { COMPACT_LEASE_MS, parquetKey, PUT_DEADLINE_MS, type Partition } from "../durable-objects/compaction-plan";
import type { FlushChunk, StoredRecord } from "../schemas";
import worker from "../worker";
import { compactPartition, manifestOf, PartitionBusy } from "../worker/lake/compact";
import { lakeTuning } from "../worker/lake/schedule";
import { COMPACT_CRON, JOBS } from "../worker/scheduled";
import { ADMIN, uid } from "./helpers";
import { everyType } from "./lake-fixtures";
import { readParquet } from "./parquet-read";
import { record } from "./records";

type E = typeof env;
let hourSeq = 0;
/** A fresh past hour per test, so tests never share a partition. */
function freshPartition(site = "demo"): Partition {
  const d = new Date(Date.UTC(2024, 0, 1) + (Math.floor(Math.random() * 650) * 24 + (hourSeq++ % 24)) * 3_600_000);
  return { site, dt: d.toISOString().slice(0, 10), hr: d.toISOString().slice(11, 13) };
}
const at = (p: Partition, minute: number) => `${p.dt}T${p.hr}:${String(minute).padStart(2, "0")}:00.000Z`;

/** Writes records to the lake through the real queue consumer (one NDJSON object per call). */
async function seed(records: StoredRecord[]): Promise<void> {
  const chunk: FlushChunk = { v: 1, chunk: uid("chunk"), site: records[0]!.site, records };
  const batch = createMessageBatch("collector-events", [{ id: uid("m"), timestamp: new Date(), attempts: 1, body: chunk }]);
  const ctx = createExecutionContext();
  await worker.queue!(batch as never, env, ctx);
  await waitOnExecutionContext(ctx);
}
const inHour = (p: Partition, n: number, minute = 1) => Array.from({ length: n }, (_, i) => record({ site: p.site, received_at: at(p, minute), ts: at(p, minute), props: { path: `/${i}` } }));

async function keys(prefix: string) {
  return (await env.LAKE.list({ prefix })).objects.map((o) => o.key).sort();
}
/** Every row of the partition's Parquet objects. */
async function parquetRows(p: Partition): Promise<Record<string, any>[]> {
  const rows: Record<string, any>[] = [];
  for (const key of await keys(`parquet/site=${p.site}/dt=${p.dt}/hr=${p.hr}/`)) {
    const obj = await env.LAKE.get(key);
    rows.push(...(await readParquet(await obj!.arrayBuffer())));
  }
  return rows;
}
const idsOf = (rows: readonly { id?: unknown }[]) => rows.map((r) => String(r.id)).sort();

/** The bucket with faults: `put` of Parquet objects fails before or after writing, `get` fails. */
function faultyLake(faults: { putBefore?: boolean; putAfter?: boolean; get?: boolean }): R2Bucket {
  const real = env.LAKE;
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "put") {
        return async (key: string, value: any, opts?: R2PutOptions) => {
          if (key.startsWith("parquet/") && faults.putBefore) throw new Error("injected: put failed");
          const res = await target.put(key, value, opts);
          if (key.startsWith("parquet/") && faults.putAfter) throw new Error("injected: died after put");
          return res;
        };
      }
      if (prop === "get" && faults.get) return async () => { throw new Error("injected: get failed"); };
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
/** A run that dies without cleaning up: its manifest stub drops `release` (a dead isolate releases nothing). */
function deadOnFailure(e: E): E["LAKE_MANIFEST"] {
  const ns = e.LAKE_MANIFEST;
  return new Proxy(ns, {
    get(target, prop) {
      if (prop !== "get") return Reflect.get(target, prop).bind(target);
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return new Proxy(stub, { get: (s, k) => (k === "release" ? async () => {} : Reflect.get(s, k)) });
      };
    },
  }) as E["LAKE_MANIFEST"];
}

describe("parquet compaction", () => {
  it("compacts once, repeats as a no-op, and puts late objects in the next generation", async () => {
    const p = freshPartition();
    const first = [...inHour(p, 3), ...everyType(at(p, 2), { site: p.site })];
    await seed(first.slice(0, 5));
    await seed(first.slice(5));
    const r1 = await compactPartition(env, p);
    expect(r1).toMatchObject({ generation: "000001", objects: 2, events: first.length, remaining_objects: 0, key: parquetKey(p, 1) });
    expect(await compactPartition(env, p)).toMatchObject({ generation: "000001", objects: 0, events: 0 });
    const late = inHour(p, 4, 59);
    await seed(late);
    expect(await compactPartition(env, p)).toMatchObject({ generation: "000002", objects: 1, events: 4 });
    expect(await keys(`parquet/site=${p.site}/dt=${p.dt}/hr=${p.hr}/`)).toEqual([parquetKey(p, 1), parquetKey(p, 2)]);
    const rows = await parquetRows(p);
    expect(idsOf(rows)).toEqual(idsOf([...first, ...late]));
    expect((await manifestOf(env, p).generations()).map((g) => [g.generation, g.objects, g.events])).toEqual([[1, 2, first.length], [2, 1, 4]]);
  });

  it("a put that fails writes nothing and commits nothing; the re-run writes the generation once", async () => {
    const p = freshPartition();
    const recs = inHour(p, 5);
    await seed(recs);
    await expect(compactPartition({ ...env, LAKE: faultyLake({ putBefore: true }) }, p)).rejects.toThrow(/put failed/);
    await expect(compactPartition({ ...env, LAKE: faultyLake({ get: true }) }, p)).rejects.toThrow(/get failed/);
    expect(await parquetRows(p)).toEqual([]);
    expect(await compactPartition(env, p)).toMatchObject({ generation: "000001", objects: 1, events: 5 });
    expect(idsOf(await parquetRows(p))).toEqual(idsOf(recs));
  });

  it("a run that dies after its put and before its commit: the lease blocks others, then the next run overwrites the same key with a superset", async () => {
    const p = freshPartition();
    const a = inHour(p, 3);
    await seed(a);
    const T = Date.now();
    const dying = { ...env, LAKE: faultyLake({ putAfter: true }), LAKE_MANIFEST: deadOnFailure(env) };
    await expect(compactPartition(dying, p, { now: () => T })).rejects.toThrow(/died after put/);
    // Readers already see the orphan object: it holds only events no committed generation has.
    expect(idsOf(await parquetRows(p))).toEqual(idsOf(a));
    expect(await manifestOf(env, p).generations()).toEqual([]);
    // More events arrive; another run inside the lease is refused...
    const b = inHour(p, 2, 30);
    await seed(b);
    await expect(compactPartition(env, p, { now: () => T + COMPACT_LEASE_MS - 1 })).rejects.toBeInstanceOf(PartitionBusy);
    // ...and after it, takes over generation 1 at the same key: each event once.
    expect(await compactPartition(env, p, { now: () => T + COMPACT_LEASE_MS })).toMatchObject({ generation: "000001", objects: 2, events: 5 });
    expect(await keys(`parquet/site=${p.site}/dt=${p.dt}/hr=${p.hr}/`)).toEqual([parquetKey(p, 1)]);
    expect(idsOf(await parquetRows(p))).toEqual(idsOf([...a, ...b]));
  });

  it("a run too slow to put in time writes nothing (a successor may own the key)", async () => {
    const p = freshPartition();
    await seed(inHour(p, 2));
    let t = Date.now();
    const clock = () => (t += PUT_DEADLINE_MS); // the run stalls between taking the lease and its put
    await expect(compactPartition(env, p, { now: clock })).rejects.toThrow(/too slow/);
    expect(await parquetRows(p)).toEqual([]);
    expect(await compactPartition(env, p)).toMatchObject({ generation: "000001", events: 2 });
  });

  it("two runs at once: one writes, the other is told the partition is busy; nothing twice", async () => {
    const p = freshPartition();
    const recs = inHour(p, 6);
    await seed(recs);
    const results = await Promise.allSettled([compactPartition(env, p), compactPartition(env, p)]);
    const ok = results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<any>).value);
    const busy = results.filter((r) => r.status === "rejected" && r.reason instanceof PartitionBusy);
    expect(ok.length + busy.length).toBe(2);
    expect(ok.reduce((n, r) => n + r.events, 0)).toBe(6);
    expect(idsOf(await parquetRows(p))).toEqual(idsOf(recs));
  });

  it("caps a generation at maxObjects and leaves the rest for the next one", async () => {
    const p = freshPartition();
    for (let i = 0; i < 3; i++) await seed(inHour(p, 2, 10 + i));
    const tuning = { ...lakeTuning({}), maxObjects: 2 };
    expect(await compactPartition(env, p, { tuning })).toMatchObject({ generation: "000001", objects: 2, events: 4, remaining_objects: 1 });
    expect(await compactPartition(env, p, { tuning })).toMatchObject({ generation: "000002", objects: 1, events: 2, remaining_objects: 0 });
    expect(await parquetRows(p)).toHaveLength(6);
  });
});

describe("POST /v1/admin/lake/compact", () => {
  const post = (body: unknown, headers: Record<string, string> = ADMIN) =>
    worker.fetch!(new Request("https://collector.test/v1/admin/lake/compact", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) }) as never, env, createExecutionContext());

  it("answers 401 without the admin token and 400 naming the field for bad bodies", async () => {
    expect((await post({ site: "demo", dt: "2024-01-01", hr: "00" }, {})).status).toBe(401);
    const cases: [unknown, string][] = [
      ["{not json", "(body)"],
      [{ site: "demo", dt: "2024-1-1", hr: "00" }, "dt"],
      [{ site: "demo", dt: "2024-01-01", hr: "24" }, "hr"],
      [{ site: "demo", dt: "2024-01-01" }, "hr"],
      [{ site: "demo", dt: "2024-01-01", hr: "00", extra: 1 }, "extra"],
      [{ site: "demo", dt: "2024-02-30", hr: "00" }, "dt"],
      [{ site: "demo", dt: "2999-01-01", hr: "00" }, "hr"],
      [{ site: "Bad Site", dt: "2024-01-01", hr: "00" }, "site"],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as any).details.map((d: any) => d.path), JSON.stringify(body)).toContain(path);
    }
    const unknown = await post({ site: "nosuchsite", dt: "2024-01-01", hr: "00" });
    expect(unknown.status).toBe(403); // unknownSite() on a write route
    expect(await unknown.json()).toMatchObject({ details: [{ path: "site" }] });
  });

  it("compacts a partition, then lists and downloads its Parquet object through the lake routes", async () => {
    const p = freshPartition();
    await seed(inHour(p, 4));
    const res = await post(p);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ generation: "000001", objects: 1, events: 4, remaining_objects: 0, key: parquetKey(p, 1), duplicates: 0 });
    const get = (path: string) => worker.fetch!(new Request(`https://collector.test${path}`, { headers: ADMIN }) as never, env, createExecutionContext());
    const list = (await (await get(`/v1/admin/lake?prefix=${encodeURIComponent("parquet/")}`)).json()) as { key: string; size: number }[];
    expect(list.map((o) => o.key)).toContain(parquetKey(p, 1));
    for (const q of ["?raw=1", ""]) {
      const dl = await get(`/v1/admin/lake/${parquetKey(p, 1)}${q}`);
      expect(dl.status).toBe(200);
      expect(dl.headers.get("content-type")).toBe("application/vnd.apache.parquet");
      const bytes = new Uint8Array(await dl.arrayBuffer());
      expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe("PAR1");
      expect(bytes.byteLength).toBe(list.find((o) => o.key === parquetKey(p, 1))!.size);
    }
  });
});

describe("hourly Cron Trigger", () => {
  const run = async (cron: string, scheduledTime: number, e: E) => {
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ cron, scheduledTime }) as never, e, ctx);
    await waitOnExecutionContext(ctx);
  };
  const oneSite = (site: string, over: Partial<E> = {}): E => ({ ...env, SITES: JSON.stringify({ [site]: { origins: [] } }), LAKE_COMPACT_LOOKBACK_HOURS: "2", ...over });

  it("has a job for every cron of wrangler.toml", () => {
    const crons = /crons\s*=\s*\[([^\]]*)\]/.exec(wranglerToml)![1]!.match(/"([^"]+)"/g)!.map((s) => s.slice(1, -1));
    expect(crons).toContain(COMPACT_CRON);
    for (const c of crons) expect(JOBS[c], c).toBeTypeOf("function");
  });

  it("compacts the hour that just closed, and ignores crons it does not know", async () => {
    const p = freshPartition("demo");
    const recs = inHour(p, 3);
    await seed(recs);
    const next = Date.parse(at(p, 0)) + 3_600_000 + 5 * 60_000;
    await run("0 0 * * *", next, oneSite("demo"));
    expect(await parquetRows(p)).toEqual([]);
    await run(COMPACT_CRON, next, oneSite("demo"));
    expect(idsOf(await parquetRows(p))).toEqual(idsOf(recs));
  });

  it("at retention age: compacts what is left, then deletes the covered NDJSON, never an uncovered object", async () => {
    const p = freshPartition("demo");
    const recs = inHour(p, 3);
    await seed(recs);
    await compactPartition(env, p);
    const late = inHour(p, 2, 50);
    await seed(late);
    const events = `events/site=${p.site}/dt=${p.dt}/hr=${p.hr}/`;
    expect(await keys(events)).toHaveLength(2);
    const retention = Date.parse(at(p, 0)) + 3_600_000 + 7 * 86_400_000 + 5 * 60_000;
    // One hour before retention nothing is deleted.
    await run(COMPACT_CRON, retention - 3_600_000, oneSite("demo"));
    expect(await keys(events)).toHaveLength(2);
    await run(COMPACT_CRON, retention, oneSite("demo"));
    expect(await keys(events)).toEqual([]);
    expect(idsOf(await parquetRows(p))).toEqual(idsOf([...recs, ...late]));
    expect((await manifestOf(env, p).generations()).map((g) => g.generation)).toEqual([1, 2]);
  });
});
