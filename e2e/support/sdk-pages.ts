/**
 * A site's own web server for the browser-SDK tests: a tiny static server on 127.0.0.1 (an
 * origin the test sites allow) serving pages and the SDKs as a site ships them, built here with
 * esbuild from node_modules exactly as a site's bundler would (`import { AnalyticsBrowser } from
 * "@segment/analytics-next"`, `import { RudderAnalytics } from "@rudderstack/analytics-js/bundled"`),
 * or the SDK's own dist file (analytics.js's standalone build, for the classic snippet).
 */
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** One IIFE per SDK that puts its entry point on window, as a site's bundle would import it. */
export async function sdkBundles(): Promise<{ segment: string; rudder: string; segmentStandalone: string }> {
  const bundle = async (contents: string) => {
    const out = await build({ stdin: { contents, resolveDir: root, loader: "js" }, bundle: true, write: false, format: "iife", platform: "browser", target: "es2020", define: { "process.env.NODE_ENV": '"production"' }, logLevel: "silent" });
    return out.outputFiles[0]!.text;
  };
  const require = createRequire(import.meta.url);
  const standalonePath = require.resolve("@segment/analytics-next/dist/umd/standalone.js");
  const [segment, rudder, segmentStandalone] = await Promise.all([
    bundle(`import { AnalyticsBrowser } from "@segment/analytics-next"; window.AnalyticsBrowser = AnalyticsBrowser;`),
    bundle(`import { RudderAnalytics } from "@rudderstack/analytics-js/bundled"; window.RudderAnalytics = RudderAnalytics;`),
    readFile(standalonePath, "utf8"),
  ]);
  return { segment, rudder, segmentStandalone };
}

export interface StaticFile {
  type: string;
  body: string;
}

/** Serves exactly the given paths (anything else is 404) and records every path asked for. */
export async function staticSite(files: Record<string, StaticFile>): Promise<{ url: string; served: string[]; stop(): Promise<void> }> {
  const served: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    served.push(path);
    const f = files[path];
    if (!f) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": f.type, "cache-control": "no-store" }).end(f.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, served, stop: () => new Promise((r) => server.close(() => r())) };
}

export const html = (title: string, scripts: string): StaticFile => ({
  type: "text/html; charset=utf-8",
  body: `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${scripts}</body></html>`,
});
export const js = (body: string): StaticFile => ({ type: "text/javascript; charset=utf-8", body });
