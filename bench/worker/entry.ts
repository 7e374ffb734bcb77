/**
 * Bench-only entry: the real collector (worker/index.ts), unchanged, with counters around the
 * operations Cloudflare bills, so the cost model counts what the load run did instead of
 * assuming it. The counters live in this isolate (workerd runs the Durable Objects of a
 * service in the worker's isolate) and are read at GET /__bench/counters.
 *
 * Nothing here is part of the deployed worker: wrangler.toml's main is worker/index.ts.
 */
import collector from "../../worker/index";
import { LakeLedger as RealLedger, UserProfile as RealProfile } from "../../worker/index";
import { emptyCounters, queueOps, type Counters } from "../cost";

let counters: Counters = emptyCounters();

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

/** The object's state with its SQLite handle counted: every collaborator gets the counted one. */
function countingCtx(ctx: DurableObjectState, add: (rows: number) => void): DurableObjectState {
  const sql = countingSql(ctx.storage.sql, add);
  const bind = <T extends object>(target: T, over: Record<string | symbol, unknown>): T =>
    new Proxy(target, {
      get(t, prop) {
        if (prop in over) return over[prop];
        const v = Reflect.get(t, prop, t) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  return bind(ctx, { storage: bind(ctx.storage, { sql }) });
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
  override async alarm() {
    counters.profile_alarms += 1;
    return super.alarm();
  }
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
export { SiteStats } from "../../worker/index";
export default handler;
