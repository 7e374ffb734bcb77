/**
 * The two servers of a bench run, both on workerd through Miniflare's API (no `wrangler dev`
 * proxy): the collector, built from this repository with the bindings wrangler.toml declares,
 * and an empty worker that answers 204, the ceiling of this machine.
 */
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { fileURLToPath } from "node:url";
import { childPids, newChild } from "./proc";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const ADMIN_TOKEN = "bench-admin-token";

/** The collector, bundled as wrangler would (workerd conditions, ESM, node:/cloudflare: external). */
export async function bundleCollector(entry: string, minify = true, root = ROOT): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    minify,
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0]!.text;
}

export interface Server {
  url: string;
  mf: Miniflare;
  stop(): Promise<void>;
  /** The workerd process serving it, when it could be told apart (bench/proc.ts; Linux). */
  pid?: number | null;
}

export interface CollectorOptions {
  /** Extra or overriding variables (SITES, FLUSH_*). */
  vars?: Record<string, string>;
  /** Worker log lines (console.log of the worker and its objects). */
  onLog?: (line: string) => void;
  /** Where Miniflare keeps Durable Object SQLite files, R2 and queues (default: its temp dir on disk). */
  storageDir?: string;
  /** Open workerd's inspector (for CPU profiles: bench/profile.ts). */
  inspector?: boolean;
  /** Leave the rate-limit bindings out (diagnostics: what they cost per request). */
  noRateLimits?: boolean;
  /** Build from another source tree (bench/compare.ts: a git ref unpacked next to this one). */
  root?: string;
}

/**
 * The collector with wrangler.toml's bindings (Durable Objects, Queue + consumer, R2), from
 * bench/worker/entry.ts (the real worker plus operation counters). The rate limits are set
 * to a billion per minute: at load-test rates they would answer 429 by design.
 */
export async function startCollector(opts: CollectorOptions = {}): Promise<Server> {
  const root = opts.root ?? ROOT;
  const script = await bundleCollector("bench/worker/entry.ts", !opts.inspector, root);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(`${root}/wrangler.toml`);
  const unlimited = { limit: 1_000_000_000, period: 60 as const };
  const ratelimits = Object.fromEntries(Object.entries(workerOptions.ratelimits ?? {}).map(([k, v]) => [k, { ...v, simple: unlimited }]));
  const v4 = {
    ...workerOptions,
    name: "edge-collector",
    modules: [{ type: "ESModule", path: "index.mjs", contents: script }],
    modulesRules: undefined,
    rootPath: undefined,
    bindings: { ...(workerOptions.bindings as Record<string, unknown>), ADMIN_TOKEN, ...opts.vars },
    ratelimits: opts.noRateLimits ? {} : ratelimits,
    ...(opts.storageDir ? { resourcePersistencePath: opts.storageDir } : {}),
    host: "127.0.0.1",
    port: 0,
    ...(opts.inspector ? { inspectorPort: 0 } : {}),
    handleStructuredLogs: (log: { message: string }) => opts.onLog?.(log.message),
  } as Parameters<typeof convertV4MiniflareOptions>[0];
  const before = childPids();
  const mf = new Miniflare(convertV4MiniflareOptions(v4));
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, mf, stop: () => mf.dispose(), pid: newChild(before, childPids()) };
}

/** The ceiling: a worker that answers 204 without reading the body. */
export async function startCeiling(): Promise<Server> {
  const mf = new Miniflare(convertV4MiniflareOptions({
    name: "ceiling",
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 204 }); } };",
    compatibilityDate: "2026-11-01",
    host: "127.0.0.1",
    port: 0,
    handleStructuredLogs: () => {},
  }));
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, mf, stop: () => mf.dispose() };
}

/** A one-module worker with one SQLite-backed Durable Object class, on workerd (the floors below). */
async function startObjectWorker(name: string, script: string, binding: string, className: string, storageDir?: string): Promise<Server> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      name,
      modules: [{ type: "ESModule", path: `${name}.mjs`, contents: script }],
      compatibilityDate: "2026-11-01",
      durableObjects: { [binding]: { className, useSQLite: true } },
      host: "127.0.0.1",
      port: 0,
      ...(storageDir ? { resourcePersistencePath: storageDir } : {}),
      handleStructuredLogs: () => {},
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, mf, stop: () => mf.dispose() };
}

/**
 * The platform floor of a Durable Object design on this machine: a worker that reads the
 * body, calls one SQLite-backed object per user by RPC, which inserts the body as one row,
 * and answers 202. What the collector does on top of that is this repository's cost.
 */
export async function startFloor(storageDir?: string): Promise<Server> {
  const script = `
import { DurableObject } from "cloudflare:workers";
export class Floor extends DurableObject {
  constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS b (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)"); }
  async put(body) { this.ctx.storage.sql.exec("INSERT INTO b (body) VALUES (?)", body); return 1; }
}
export default {
  async fetch(req, env) {
    const body = await req.text();
    const user = JSON.parse(body).anonymous_id;
    await env.FLOOR.get(env.FLOOR.idFromName(user)).put(body);
    return new Response('{"accepted":1}', { status: 202, headers: { "content-type": "application/json" } });
  },
};`;
  return startObjectWorker("floor", script, "FLOOR", "Floor", storageDir);
}

/**
 * The floor of a read with an object per person (bench/recs-read.ts): a worker that calls the
 * person's SQLite-backed object by RPC (which answers from memory after its first read) and
 * answers its JSON. What GET /v1/recommendations does on top is ranking, the access check,
 * the request log and the answer.
 */
export async function startReadFloor(storageDir?: string): Promise<Server> {
  const script = `
import { DurableObject } from "cloudflare:workers";
export class Reader extends DurableObject {
  constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS p (k INTEGER PRIMARY KEY, doc TEXT NOT NULL)"); }
  async read() {
    if (this.doc === undefined) this.doc = this.ctx.storage.sql.exec("SELECT doc FROM p WHERE k = 1").toArray()[0]?.doc ?? null;
    return this.doc === null ? { recent: [], categories: [] } : JSON.parse(this.doc);
  }
}
export default {
  async fetch(req, env) {
    const id = new URL(req.url).pathname.split("/")[4] ?? "";
    const input = await env.READER.get(env.READER.idFromName(id)).read();
    return Response.json({ id, strategy: "floor", items: input.recent });
  },
};`;
  return startObjectWorker("read-floor", script, "READER", "Reader", storageDir);
}
