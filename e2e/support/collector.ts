/**
 * Starts the real collector (this repository's wrangler.toml: worker, Durable Object, Queue,
 * R2, all local in workerd through wrangler's test harness) on a free 127.0.0.1 port, and
 * stops it. State lives only as long as the collector. Used by the Node tests under e2e/.
 */
import { createTestHarness } from "wrangler";
import { fileURLToPath } from "node:url";
import { poll } from "../../test/eventually";

export const ADMIN_TOKEN = "dev-admin-token";
export const SERVER_KEY = "dev-server-key";
export const BROWSER_KEY = "demo-browser-key";
export const READ_KEY = "dev-read-key";

/** The defaults of `npm run dev` (admin token, demo's server and read keys), and a short flush interval. */
const DEFAULT_VARS: Record<string, string> = {
  ADMIN_TOKEN,
  SITE_SECRETS: JSON.stringify({ demo: { server_keys: [SERVER_KEY], read_keys: [READ_KEY] } }),
  FLUSH_INTERVAL_MS: "300",
};

export interface Collector {
  url: string;
  stop(): Promise<void>;
}

export async function startCollector(opts: { vars?: Record<string, string> } = {}): Promise<Collector> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const harness = createTestHarness({ root, workers: [{ configPath: "./wrangler.toml", vars: { ...DEFAULT_VARS, ...opts.vars } }] });
  const { url } = await harness.listen();
  if (url.hostname !== "127.0.0.1") {
    await harness.close();
    throw new Error(`collector listens on ${url.hostname}, expected 127.0.0.1`);
  }
  return { url: url.href.replace(/\/$/, ""), stop: () => harness.close() };
}

/** Admin reads, as an operator would. */
export function admin(c: Collector) {
  const get = async (path: string) => {
    const res = await fetch(`${c.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    profile: async (site: string, id: string) => (await get(`/v1/profiles/${site}/${encodeURIComponent(id)}`)).json() as Promise<any>,
    lakeList: async (prefix: string) => (await get(`/v1/admin/lake?prefix=${encodeURIComponent(prefix)}`)).json() as Promise<{ key: string; size: number; uploaded: string }[]>,
    lakeText: async (key: string) => (await get(`/v1/admin/lake/${key}`)).text(),
    /** The object's bytes as the consumer wrote them (gzip). */
    lakeRaw: async (key: string) => new Uint8Array(await (await get(`/v1/admin/lake/${key}?raw=1`)).arrayBuffer()),
  };
}

/** Polls until `fn` returns a truthy value or the time runs out. */
export const eventually = <T>(fn: () => Promise<T | undefined | null | false>, ms = 30_000, every = 200): Promise<T> => poll(fn, { ms, every });
