/**
 * The two servers of a bench run, both on workerd through Miniflare's API (no `wrangler dev`
 * proxy): the collector, built from this repository with the bindings wrangler.toml declares,
 * and an empty worker that answers 204, the ceiling of this machine.
 */
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const ADMIN_TOKEN = "bench-admin-token";

/** The collector, bundled as wrangler would (workerd conditions, ESM, node:/cloudflare: external). */
export async function bundleCollector(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    minify: true,
    write: false,
    logLevel: "warning",
  });
  return out.outputFiles[0]!.text;
}

export interface Server {
  url: string;
  mf: Miniflare;
  stop(): Promise<void>;
}

export interface CollectorOptions {
  /** Extra or overriding variables (SITES, FLUSH_*). */
  vars?: Record<string, string>;
  /** Worker log lines (console.log of the worker and its objects). */
  onLog?: (line: string) => void;
  /** Where Miniflare keeps Durable Object SQLite files, R2 and queues (default: its temp dir on disk). */
  storageDir?: string;
  /** Leave the rate-limit bindings out (diagnostics: what they cost per request). */
  noRateLimits?: boolean;
}

/**
 * The collector with wrangler.toml's bindings (Durable Objects, Queue + consumer, R2), from
 * bench/worker/entry.ts (the real worker plus operation counters). The rate limits are set
 * to a billion per minute: at load-test rates they would answer 429 by design.
 */
export async function startCollector(opts: CollectorOptions = {}): Promise<Server> {
  const script = await bundleCollector("bench/worker/entry.ts");
  const { workerOptions } = unstable_getMiniflareWorkerOptions(`${ROOT}/wrangler.toml`);
  const unlimited = { limit: 1_000_000_000, period: 60 as const };
  const ratelimits = Object.fromEntries(Object.entries(workerOptions.ratelimits ?? {}).map(([k, v]) => [k, { ...v, simple: unlimited }]));
  const v4 = {
    ...workerOptions,
    name: "edge-collector",
    modules: [{ type: "ESModule", path: "index.mjs", contents: script }],
    modulesRules: undefined,
    rootPath: undefined,
    bindings: { ...workerOptions.bindings, ADMIN_TOKEN, ...opts.vars },
    ratelimits: opts.noRateLimits ? {} : ratelimits,
    ...(opts.storageDir ? { resourcePersistencePath: opts.storageDir } : {}),
    host: "127.0.0.1",
    port: 0,
    handleStructuredLogs: (log: { message: string }) => opts.onLog?.(log.message),
  } as Parameters<typeof convertV4MiniflareOptions>[0];
  const mf = new Miniflare(convertV4MiniflareOptions(v4));
  const url = (await mf.ready).href.replace(/\/$/, "");
  return { url, mf, stop: () => mf.dispose() };
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
