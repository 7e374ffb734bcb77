/**
 * Starts the real collector for browser tests: `wrangler dev` (the same thing as `npm run dev`)
 * on a free port of 127.0.0.1, with its own state directory and admin token, and helpers to
 * read profiles and the lake through the collector's HTTP API.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { poll } from "../test/eventually";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The keys of `npm run dev` for site demo: server key dev-server-key, read key dev-read-key. */
export const SITE_SECRETS = JSON.stringify({ demo: { server_keys: ["dev-server-key"], read_keys: ["dev-read-key"] } });

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

export interface Collector {
  url: string;
  token: string;
  logs(): string;
  stop(): Promise<void>;
  profile(site: string, id: string): Promise<Profile | null>;
  /** Every stored record of the lake for this anonymous id. */
  lake(anonymousId: string): Promise<LakeRecord[]>;
}

export interface Profile {
  id: string;
  user_id: string | null;
  counts: Record<string, number>;
  recent_products: { product_id: string; category: string | null; action: string }[];
  recent_searches: { query: string }[];
  cart: { items: { product_id: string; quantity: number }[] };
  engagement: { active_ms: number; visible_ms: number; max_scroll_depth: number };
  affinities: { products: { key: string; score: number }[]; categories: { key: string; score: number }[] };
}

export interface LakeRecord {
  id: string;
  type: string;
  props: Record<string, unknown>;
  anonymous_id: string;
  session_id: string | null;
  page: { url: string | null; path: string | null };
}

export async function startCollector(): Promise<Collector> {
  const [port, inspector] = [await freePort(), await freePort()];
  const persist = mkdtempSync(join(tmpdir(), "collector-e2e-"));
  const token = `e2e-${randomBytes(8).toString("hex")}`;
  const url = `http://127.0.0.1:${port}`;
  let out = "";
  const child = spawn(
    process.execPath,
    [join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", persist, "--var", `ADMIN_TOKEN:${token}`, "--var", `SITE_SECRETS:${SITE_SECRETS}`, "--show-interactive-dev-session=false"],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  let exited = false;
  child.on("exit", () => (exited = true));

  const stop = async () => {
    if (!exited && child.pid) {
      const gone = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, 5000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(persist, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`wrangler dev exited before it was ready:\n${out}`);
    try {
      const r = await fetch(`${url}/`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev not ready within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const auth = { authorization: `Bearer ${token}` };
  const seenObjects = new Map<string, LakeRecord[]>();
  return {
    url,
    token,
    logs: () => out,
    stop,
    async profile(site, id) {
      const r = await fetch(`${url}/v1/profiles/${site}/${encodeURIComponent(id)}`, { headers: auth });
      if (r.status === 404) return null;
      if (!r.ok) throw new Error(`profile: ${r.status} ${await r.text()}`);
      return (await r.json()) as Profile;
    },
    async lake(anonymousId) {
      const list = (await (await fetch(`${url}/v1/admin/lake?prefix=events/site=demo/`, { headers: auth })).json()) as { key: string }[];
      for (const { key } of list) {
        if (seenObjects.has(key)) continue;
        const text = await (await fetch(`${url}/v1/admin/lake/${key}`, { headers: auth })).text();
        seenObjects.set(key, text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as LakeRecord));
      }
      return [...seenObjects.values()].flat().filter((r) => r.anonymous_id === anonymousId);
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

/** Polls until `fn` returns a truthy value; errors count as "not yet". */
export const eventually = <T>(fn: () => Promise<T | undefined | null | false>, what: string, ms = 30_000, every = 250): Promise<T> => poll(fn, { ms, every, what, retryErrors: true });
