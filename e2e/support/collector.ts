/**
 * The one starter of the real collector for the Node tests under e2e/: `wrangler dev` (what
 * `npm run dev` runs) as a child process on a free port of 127.0.0.1, with its own state
 * directory (--persist-to), the defaults of `npm run dev` (overridable by `vars`), and the
 * operator's reads (profiles, the lake) through the collector's HTTP API. `kill()` and
 * `restart()` keep the state directory, for tests of what survives a crash.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventually } from "../../test/eventually";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The credentials `npm run dev` gives site "demo" (README, Set up). */
export const ADMIN_TOKEN = "dev-admin-token";
export const SERVER_KEY = "dev-server-key";
export const READ_KEY = "dev-read-key";
/** Site demo's public write key, from wrangler.toml's SITES. */
export const BROWSER_KEY = "demo-browser-key";

/** SITE_SECRETS of `npm run dev`: demo's server key and read key. */
const DEV_SITE_SECRETS = JSON.stringify({ demo: { server_keys: [SERVER_KEY], read_keys: [READ_KEY] } });

export interface CollectorOptions {
  /** Variables on top of wrangler.toml's [vars] and `npm run dev`'s ADMIN_TOKEN and SITE_SECRETS. */
  vars?: Record<string, string>;
  /** FLUSH_INTERVAL_MS: short by default (300 ms) so events reach the lake in seconds; wrangler.toml says 5000. */
  flushIntervalMs?: number;
}

export interface Profile {
  id: string;
  user_id: string | null;
  anonymous_ids: string[];
  counts: Record<string, number>;
  recent_products: { product_id: string; category: string | null; action: string }[];
  recent_searches: { query: string }[];
  cart: { items: { product_id: string; quantity: number }[] };
  purchases: { count: number; revenue: Record<string, number>; last_order_ids: string[] };
  identity: string;
  engagement: { active_ms: number; visible_ms: number; max_scroll_depth: number };
  affinities: { products: { key: string; score: number }[]; categories: { key: string; score: number }[] };
}

/** A stored event as the lake holds it (docs/LAKE.md); only the fields the tests read are typed. */
export interface LakeRecord {
  id: string;
  type: string;
  props: Record<string, any>;
  anonymous_id: string;
  user_id: string | null;
  session_id: string | null;
  page: { url: string | null; path: string | null };
  [field: string]: any;
}

export interface Collector {
  /** http://127.0.0.1:<port>, the same across restart(). */
  url: string;
  /** The --persist-to directory: Durable Objects, queue, R2. Kept by kill() and restart(), removed by stop(). */
  stateDir: string;
  /** What wrangler and the worker printed, across restarts. */
  logs(): string;
  /** Sends `signal` to wrangler and its workerd (the whole process group) and waits until they are gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts `wrangler dev` again on the same port and state directory (after kill(), or stopping it first). */
  restart(): Promise<void>;
  /** Stops the collector and removes its state directory. */
  stop(): Promise<void>;
  /** GET /v1/profiles/:site/:id with the admin token; null while the profile does not exist. */
  profile(site: string, id: string): Promise<Profile | null>;
  /** The lake's objects under `prefix` (GET /v1/admin/lake). */
  lakeList(prefix: string): Promise<{ key: string; size: number; uploaded: string }[]>;
  /** One object's NDJSON text. */
  lakeText(key: string): Promise<string>;
  /** One object's bytes as the consumer wrote them (gzip). */
  lakeRaw(key: string): Promise<Uint8Array>;
  /** Every record of every object under `prefix` (objects are immutable: each is read once). */
  lakeRecords(prefix: string): Promise<LakeRecord[]>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startCollector(opts: CollectorOptions = {}): Promise<Collector> {
  const [port, inspector] = [await freePort(), await freePort()];
  const stateDir = mkdtempSync(join(tmpdir(), "collector-e2e-"));
  const vars: Record<string, string> = { ADMIN_TOKEN, SITE_SECRETS: DEV_SITE_SECRETS, FLUSH_INTERVAL_MS: String(opts.flushIntervalMs ?? 300), ...opts.vars };
  const url = `http://127.0.0.1:${port}`;
  let out = "";
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  async function start() {
    const args = [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", stateDir, "--show-interactive-dev-session=false"];
    for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
    const c = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that kill() reaches workerd too.
      detached: true,
    });
    child = c;
    let gone = false;
    exited = new Promise((r) => c.once("exit", () => ((gone = true), r())));
    c.stdout!.on("data", (d) => (out += d));
    c.stderr!.on("data", (d) => (out += d));
    try {
      await eventually(
        async () => {
          if (gone) throw new Error("wrangler dev exited before it was ready");
          return fetch(`${url}/`).then((r) => r.ok, () => false);
        },
        { what: `wrangler dev answering at ${url}`, ms: 90_000, every: 200 },
      );
    } catch (e) {
      await kill("SIGKILL");
      throw new Error(`${(e as Error).message}\n${out}`);
    }
  }

  async function kill(signal: NodeJS.Signals = "SIGKILL") {
    const c = child;
    if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
    const signalGroup = (s: NodeJS.Signals) => {
      try {
        process.kill(-c.pid!, s);
      } catch {}
    };
    signalGroup(signal);
    const force = setTimeout(() => signalGroup("SIGKILL"), 10_000);
    await exited;
    clearTimeout(force);
    // workerd may outlive wrangler by a moment: make sure nothing of the group holds the port.
    signalGroup("SIGKILL");
    child = null;
  }

  await start();

  const auth = { authorization: `Bearer ${vars.ADMIN_TOKEN}` };
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`, { headers: auth });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const parsed = new Map<string, LakeRecord[]>();
  const lakeList = async (prefix: string) => (await (await get(`/v1/admin/lake?prefix=${encodeURIComponent(prefix)}`)).json()) as { key: string; size: number; uploaded: string }[];
  const lakeText = async (key: string) => (await get(`/v1/admin/lake/${key}`)).text();

  return {
    url,
    stateDir,
    logs: () => out,
    kill,
    async restart() {
      await kill("SIGTERM");
      await start();
    },
    async stop() {
      await kill("SIGTERM");
      rmSync(stateDir, { recursive: true, force: true });
    },
    async profile(site, id) {
      const res = await fetch(`${url}/v1/profiles/${site}/${encodeURIComponent(id)}`, { headers: auth });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`profile ${site}/${id}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Profile;
    },
    lakeList,
    lakeText,
    lakeRaw: async (key) => new Uint8Array(await (await get(`/v1/admin/lake/${key}?raw=1`)).arrayBuffer()),
    async lakeRecords(prefix) {
      const objects = await lakeList(prefix);
      for (const { key } of objects) {
        if (!parsed.has(key)) parsed.set(key, (await lakeText(key)).split("\n").filter(Boolean).map((l) => JSON.parse(l) as LakeRecord));
      }
      return objects.flatMap(({ key }) => parsed.get(key)!);
    },
  };
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/**
 * A transparent HTTP proxy on another port of 127.0.0.1 (an allowed origin of site "demo")
 * that records what the browser really sent: Chromium does not report requests made while a
 * page unloads (the beacons) to Playwright or to the page's DevTools session.
 */
export async function recordingProxy(target: string): Promise<{ url: string; requests: SeenRequest[]; stop(): Promise<void> }> {
  const t = new URL(target);
  const requests: SeenRequest[] = [];
  const server = createHttpServer((req, res) => {
    requests.push({ method: req.method!, path: req.url!, headers: req.headers });
    const up = httpRequest({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
