/**
 * Bench-only entry: the real collector (worker/index.ts), unchanged, with counters around the
 * operations Cloudflare bills, so the cost model counts what the load run did instead of
 * assuming it. The counters live in this isolate (workerd runs the Durable Objects of a
 * service in the worker's isolate) and are read at GET /__bench/counters.
 *
 * Nothing here is part of the deployed worker: wrangler.toml's main is worker/index.ts.
 */
import collector from "../../worker/index";
import { ItemStats as RealItems, ItemTrends as RealTrends, LakeLedger as RealLedger, SiteStats as RealStats, UserProfile as RealProfile } from "../../worker/index";
import { parseRecQuery } from "../../worker/recs/query";
import { ALL_SIGNALS, type Signals } from "../../worker/recs/rank";
import { recommend } from "../../worker/recs/recommend";
import { emptyCounters, queueOps, tableOf, type Counters } from "../cost";

let counters: Counters = emptyCounters();
/** Every event id delivered to the consumer in this isolate (bench runs are bounded). */
const deliveredIds = new Set<string>();
/** Per user object (by id): what it wrote, for bench/rows.ts (exact, whatever else runs meanwhile). */
type ObjectRows = { rows: number; statements: number; alarm_sets: number; by_table: Record<string, number> };
const perObject = new Map<string, ObjectRows>();
/** Write RPCs per item object (`items <site>:<shard>`, `trends <site>`): the busiest object's rate. */
const objectWrites: Record<string, number> = {};
const wrote = (name: string) => (objectWrites[name] = (objectWrites[name] ?? 0) + 1);

/**
 * Sums `rowsWritten` of each statement: the number Cloudflare bills SQLite storage by. A cursor
 * reports only its last statement, so a multi-statement exec (schema setup) is run one
 * statement at a time here to count all of them.
 */
function countingSql(sql: SqlStorage, add: (rows: number, table: string) => void, statements?: () => void): SqlStorage {
  const exec = sql.exec.bind(sql) as SqlStorage["exec"];
  const run = (query: string, bindings: unknown[]) => {
    statements?.();
    const cursor = exec(query, ...bindings);
    const n = cursor.rowsWritten;
    if (n) add(n, tableOf(query));
    return cursor;
  };
  return new Proxy(sql, {
    get(target, prop) {
      if (prop === "exec") {
        return (query: string, ...bindings: unknown[]) => {
          const parts = bindings.length ? [query] : query.split(";").filter((q) => q.trim());
          for (let i = 0; i < parts.length - 1; i++) run(parts[i]!, []);
          return run(parts[parts.length - 1] ?? query, bindings);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * The object's own storage with its SQLite handle counted, and setAlarm counted as one row
 * written (as billed). The state itself must stay the runtime's (the base class checks it),
 * so the counted functions are set on its storage instance.
 */
function countingCtx(ctx: DurableObjectState, add: (rows: number, table: string) => void, user: boolean, statement?: () => void): DurableObjectState {
  const storage = ctx.storage;
  const sql = countingSql(storage.sql, add, user ? () => ((counters.profile_statements += 1), statement?.()) : undefined);
  const setAlarm = storage.setAlarm.bind(storage);
  const deleteAlarm = storage.deleteAlarm.bind(storage);
  Object.defineProperty(storage, "sql", { value: sql, configurable: true });
  Object.defineProperty(storage, "setAlarm", {
    configurable: true,
    value: (...a: Parameters<DurableObjectStorage["setAlarm"]>) => {
      if (user) counters.profile_alarm_sets += 1;
      add(1, "alarm");
      return setAlarm(...a);
    },
  });
  Object.defineProperty(storage, "deleteAlarm", {
    configurable: true,
    value: (...a: Parameters<DurableObjectStorage["deleteAlarm"]>) => {
      if (user) counters.profile_alarm_deletes += 1;
      return deleteAlarm(...a);
    },
  });
  return ctx;
}

const byTable = (prefix: string, n: number, table: string) => {
  const k = `${prefix}.${table}`;
  counters.rows_by_table[k] = (counters.rows_by_table[k] ?? 0) + n;
};

export class UserProfile extends RealProfile {
  constructor(ctx: DurableObjectState, env: Env) {
    const id = ctx.id.toString();
    const mine = (): ObjectRows => perObject.get(id) ?? perObject.set(id, { rows: 0, statements: 0, alarm_sets: 0, by_table: {} }).get(id)!;
    super(
      countingCtx(ctx, (n, t) => {
        counters.profile_rows_written += n;
        byTable("user", n, t);
        const o = mine();
        o.rows += n;
        o.by_table[t] = (o.by_table[t] ?? 0) + n;
        if (t === "alarm") o.alarm_sets += 1;
      }, true, () => (mine().statements += 1)),
      env,
    );
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

const itemRows = (n: number, t: string) => {
  counters.items_rows_written += n;
  byTable("items", n, t);
};

export class ItemStats extends RealItems {
  constructor(ctx: DurableObjectState, env: Env) {
    super(countingCtx(ctx, itemRows, false), env);
  }
  override async apply(...a: Parameters<RealItems["apply"]>) {
    counters.items_requests += 1;
    wrote(`items ${a[0].site}:${a[0].shard}`);
    return super.apply(...a);
  }
  override async read(...a: Parameters<RealItems["read"]>) {
    counters.items_requests += 1;
    counters.item_reads += 1;
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
    super(countingCtx(ctx, itemRows, false), env);
  }
  override async apply(...a: Parameters<RealTrends["apply"]>) {
    counters.items_requests += 1;
    wrote(`trends ${a[0].site}`);
    return super.apply(...a);
  }
  override async lists(...a: Parameters<RealTrends["lists"]>) {
    counters.items_requests += 1;
    counters.trend_reads += 1;
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
    super(
      countingCtx(ctx, (n, t) => {
        counters.ledger_rows_written += n;
        byTable("ledger", n, t);
      }, false),
      env,
    );
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
  const stub = { ingest: async (_s: string, _id: string, records: unknown[] | { events: unknown[] }) => ({ accepted: Array.isArray(records) ? records.length : records.events.length, duplicates: 0, duplicate_ids: [] }) };
  const PROFILES = { idFromName: (n: string) => n, get: () => stub };
  return new Proxy(env, { get: (t, p) => (p === "PROFILES" ? PROFILES : Reflect.get(t, p, t)) });
}

const noLog = () => {};

const handler: ExportedHandler<Env> = {
  async fetch(req, env, ctx) {
    const url = new URL(req.url);
    if (url.pathname === "/__bench/objects") return Response.json(objectWrites);
    if (url.pathname === "/__bench/object") {
      const id = env.PROFILES.idFromName(`${url.searchParams.get("site")}:${url.searchParams.get("id")}`).toString();
      return Response.json(perObject.get(id) ?? { rows: 0, statements: 0, alarm_sets: 0, by_table: {} });
    }
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
    // BENCH_STAGE=no_do answers the ingest RPC without reaching a Durable Object; no_log drops
    // the worker's console lines (what local structured logging costs the isolate).
    const stage = (env as Env & { BENCH_STAGE?: string }).BENCH_STAGE;
    if (stage === "no_log" && console.log !== noLog) console.log = noLog;
    const e = stage === "no_do" ? withoutObjects(env) : env;
    // recs_user_only: GET /v1/recommendations/:site/:id reads the person's object and answers
    // its ranking input, nothing else (no access check, ranking or request log): the collector's
    // own read floor, next to the bench's generic one (servers.ts startReadFloor).
    if (stage === "recs_user_only" && req.method === "GET" && url.pathname.startsWith("/v1/recommendations/")) {
      const [site, id] = url.pathname.split("/").slice(3).map(decodeURIComponent);
      return Response.json(await e.PROFILES.get(e.PROFILES.idFromName(`${site}:${id}`)).rankingInput());
    }
    return collector.fetch!(req as Parameters<NonNullable<typeof collector.fetch>>[0], e, ctx);
  },
  async queue(batch, env, ctx) {
    counters.queue_batches += 1;
    for (const m of batch.messages) {
      counters.queue_messages += 1;
      // Billing counts each 64 KB of a message as one operation, for write, read and delete.
      counters.queue_ops += queueOps(new TextEncoder().encode(JSON.stringify(m.body)).byteLength);
      const records = (m.body as { records?: { type?: string }[] }).records ?? [];
      // Events are counted once by id: a chunk sent again (after a restart, or a redelivered
      // message) is a cost of its message, not more events.
      for (const r of records as { id?: string; type?: string }[]) {
        if (r.id !== undefined && deliveredIds.has(r.id)) {
          counters.events_delivered_again += 1;
          continue;
        }
        if (r.id !== undefined) deliveredIds.add(r.id);
        counters.events_in_messages += 1;
        if (r.type === "session_end" || r.type === "cart_abandoned") counters.timer_events_in_messages += 1;
      }
    }
    return collector.queue!(batch, countingEnv(env), ctx);
  },
};
export class SiteStats extends RealStats {
  constructor(ctx: DurableObjectState, env: Env) {
    super(
      countingCtx(ctx, (n, t) => {
        counters.stats_rows_written += n;
        byTable("stats", n, t);
      }, false),
      env,
    );
  }
  override async add(...a: Parameters<RealStats["add"]>) {
    counters.stats_requests += 1;
    return super.add(...a);
  }
}
export { LakeManifest, PurgeLedger } from "../../worker/index";
export default handler;
