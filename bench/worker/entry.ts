/**
 * Bench-only entry: the real collector (worker/index.ts), unchanged, with counters around the
 * operations Cloudflare bills, so the cost model counts what the load run did instead of
 * assuming it. The counters live in this isolate (workerd runs the Durable Objects of a
 * service in the worker's isolate) and are read at GET /__bench/counters.
 *
 * Nothing here is part of the deployed worker: wrangler.toml's main is worker/index.ts.
 */
import collector from "../../worker/index";
import { LakeLedger as RealLedger, SiteStats as RealStats, UserProfile as RealProfile } from "../../worker/index";
import { emptyCounters, queueOps, tableOf, type Counters } from "../cost";

let counters: Counters = emptyCounters();

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
function countingCtx(ctx: DurableObjectState, add: (rows: number, table: string) => void, user: boolean): DurableObjectState {
  const storage = ctx.storage;
  const sql = countingSql(storage.sql, add, user ? () => (counters.profile_statements += 1) : undefined);
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
    super(
      countingCtx(ctx, (n, t) => {
        counters.profile_rows_written += n;
        byTable("user", n, t);
      }, true),
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
  override async alarm() {
    counters.profile_alarms += 1;
    return super.alarm();
  }
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

const handler: ExportedHandler<Env> = {
  async fetch(req, env, ctx) {
    const url = new URL(req.url);
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
      const records = (m.body as { records?: { type?: string }[] }).records ?? [];
      counters.events_in_messages += records.length;
      for (const r of records) if (r.type === "session_end" || r.type === "cart_abandoned") counters.timer_events_in_messages += 1;
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
export default handler;
