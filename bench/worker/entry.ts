/**
 * Bench-only entry: the real collector (worker/index.ts), unchanged, with counters around the
 * operations Cloudflare bills, so the cost model counts what the load run did instead of
 * assuming it. The counters live in this isolate (workerd runs the Durable Objects of a
 * service in the worker's isolate) and are read at GET /__bench/counters.
 *
 * Nothing here is part of the deployed worker: wrangler.toml's main is worker/index.ts.
 */
import collector from "../../worker/index";
import { ItemStats as RealItems, ItemTrends as RealTrends, LakeLedger as RealLedger, UserProfile as RealProfile } from "../../worker/index";
import { parseRecQuery } from "../../worker/recs/query";
import { ALL_SIGNALS, type Signals } from "../../worker/recs/rank";
import { recommend } from "../../worker/recs/recommend";
import { emptyCounters, queueOps, type Counters } from "../cost";

let counters: Counters = emptyCounters();
/** Write RPCs per item object (`items <site>:<shard>`, `trends <site>`): the busiest object's rate. */
const objectWrites: Record<string, number> = {};
const wrote = (name: string) => (objectWrites[name] = (objectWrites[name] ?? 0) + 1);

/** Sums `rowsWritten` of each statement: the number Cloudflare bills SQLite storage by. */
function countingSql(sql: SqlStorage, add: (rows: number) => void): SqlStorage {
  const exec = sql.exec.bind(sql) as SqlStorage["exec"];
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === "exec") {
        return (query: string, ...bindings: unknown[]) => {
          const cursor = exec(query, ...bindings);
          add(cursor.rowsWritten);
          return cursor;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * The object's state with its SQLite handle counted: every collaborator gets the counted one.
 * The state itself must stay the real one (the DurableObject base class checks its type), so
 * its storage gets an own `sql` property that shadows the prototype's getter.
 */
function countingCtx(ctx: DurableObjectState, add: (rows: number) => void): DurableObjectState {
  Object.defineProperty(ctx.storage, "sql", { value: countingSql(ctx.storage.sql, add), configurable: true });
  return ctx;
}

export class UserProfile extends RealProfile {
  constructor(ctx: DurableObjectState, env: Env) {
    super(countingCtx(ctx, (n) => (counters.profile_rows_written += n)), env);
  }
  override async ingest(...a: Parameters<RealProfile["ingest"]>) {
    counters.profile_requests += 1;
    return super.ingest(...a);
  }
  override async getProfile() {
    counters.profile_reads += 1;
    return super.getProfile();
  }
  override async rankingInput() {
    counters.profile_reads += 1;
    return super.rankingInput();
  }
  override async alarm() {
    counters.profile_alarms += 1;
    return super.alarm();
  }
}

export class ItemStats extends RealItems {
  constructor(ctx: DurableObjectState, env: Env) {
    super(countingCtx(ctx, (n) => (counters.items_rows_written += n)), env);
  }
  override async apply(...a: Parameters<RealItems["apply"]>) {
    counters.items_requests += 1;
    wrote(`items ${a[0].site}:${a[0].shard}`);
    return super.apply(...a);
  }
  override async read(...a: Parameters<RealItems["read"]>) {
    counters.items_requests += 1;
    return super.read(...a);
  }
  override async upsertCatalog(...a: Parameters<RealItems["upsertCatalog"]>) {
    counters.items_requests += 1;
    return super.upsertCatalog(...a);
  }
  override async alarm() {
    counters.items_requests += 1; // the write-back (billed like a request)
    return super.alarm();
  }
}

export class ItemTrends extends RealTrends {
  constructor(ctx: DurableObjectState, env: Env) {
    super(countingCtx(ctx, (n) => (counters.items_rows_written += n)), env);
  }
  override async apply(...a: Parameters<RealTrends["apply"]>) {
    counters.items_requests += 1;
    wrote(`trends ${a[0].site}`);
    return super.apply(...a);
  }
  override async lists(...a: Parameters<RealTrends["lists"]>) {
    counters.items_requests += 1;
    return super.lists(...a);
  }
}

/**
 * GET /__bench/recommend/:site/:id?<the route's query>&without=covisit,affinity,trending:
 * recommend() with signals switched off, for the eval's ablation (no access check: bench only).
 */
async function benchRecommend(url: URL, env: Env): Promise<Response> {
  const [site, id] = url.pathname.split("/").slice(3).map(decodeURIComponent);
  const q = parseRecQuery(url.searchParams);
  if (!site || !id || !q.ok) return Response.json({ error: "bad bench query" }, { status: 400 });
  const off = new Set((url.searchParams.get("without") ?? "").split(","));
  const signals: Signals = { ...ALL_SIGNALS, covisit: !off.has("covisit"), affinity: !off.has("affinity"), trending: !off.has("trending") };
  return Response.json(await recommend(env, site, id, q.value, signals));
}

export class LakeLedger extends RealLedger {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    (this as unknown as { sql: SqlStorage }).sql = countingSql(ctx.storage.sql, (n) => (counters.ledger_rows_written += n));
  }
  override async claim(...a: Parameters<RealLedger["claim"]>) {
    counters.ledger_requests += 1;
    return super.claim(...a);
  }
  override async commit(...a: Parameters<RealLedger["commit"]>) {
    counters.ledger_requests += 1;
    return super.commit(...a);
  }
  override async release(...a: Parameters<RealLedger["release"]>) {
    counters.ledger_requests += 1;
    return super.release(...a);
  }
  override async alarm() {
    counters.ledger_requests += 1;
    return super.alarm();
  }
}

/** env with LAKE.put counted (R2 class A operations). */
function countingEnv(env: Env): Env {
  const lake = env.LAKE;
  const LAKE = new Proxy(lake, {
    get(target, prop) {
      if (prop === "put") {
        return (...a: Parameters<R2Bucket["put"]>) => {
          counters.r2_puts += 1;
          return target.put(...a);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return new Proxy(env, { get: (t, p) => (p === "LAKE" ? LAKE : Reflect.get(t, p, t)) });
}

/** The same worker, with the user's object answered in place: what the path costs without it. */
function withoutObjects(env: Env): Env {
  const stub = { ingest: async (_s: string, _id: string, records: unknown[]) => ({ accepted: records.length, duplicates: 0, duplicate_ids: [] }) };
  const PROFILES = { idFromName: (n: string) => n, get: () => stub };
  return new Proxy(env, { get: (t, p) => (p === "PROFILES" ? PROFILES : Reflect.get(t, p, t)) });
}

const handler: ExportedHandler<Env> = {
  async fetch(req, env, ctx) {
    const url = new URL(req.url);
    if (url.pathname === "/__bench/objects") return Response.json(objectWrites);
    if (url.pathname.startsWith("/__bench/recommend/")) {
      counters.worker_requests += 1;
      return benchRecommend(url, env);
    }
    if (url.pathname === "/__bench/counters") {
      if (req.method === "DELETE") counters = emptyCounters();
      return Response.json(counters);
    }
    counters.worker_requests += 1;
    // Stage isolation (diagnostics only, never in the reported phases unless named so):
    // BENCH_STAGE=no_do answers the ingest RPC without reaching a Durable Object.
    const e = (env as Env & { BENCH_STAGE?: string }).BENCH_STAGE === "no_do" ? withoutObjects(env) : env;
    return collector.fetch!(req as Parameters<NonNullable<typeof collector.fetch>>[0], e, ctx);
  },
  async queue(batch, env, ctx) {
    counters.queue_batches += 1;
    for (const m of batch.messages) {
      counters.queue_messages += 1;
      // Billing counts each 64 KB of a message as one operation, for write, read and delete.
      counters.queue_ops += queueOps(new TextEncoder().encode(JSON.stringify(m.body)).byteLength);
      counters.events_in_messages += (m.body as { records?: unknown[] }).records?.length ?? 0;
    }
    return collector.queue!(batch, countingEnv(env), ctx);
  },
};
export { LakeManifest, PurgeLedger, SiteStats } from "../../worker/index";
export default handler;
