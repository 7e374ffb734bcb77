/**
 * Snippet weight next to peers, in one run: gzip -9 bytes (zlib level 9, the same for every
 * file) of what a site actually loads. Peers are installed only under bench/peers (their own
 * package.json and lock), never into the worker. Umami's tracker is not published on npm as a
 * built script: the `umami` package (the whole server app) ships its source
 * (src/tracker/index.js), which is minified here with esbuild as Umami's build minifies it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ROOT } from "./servers";

export interface SnippetSize {
  name: string;
  version: string | null;
  file: string;
  what: string;
  raw_bytes: number | null;
  gzip_bytes: number | null;
  note?: string;
}

const PEERS = join(ROOT, "bench/peers");
const UMAMI = { version: "2.10.0", integrity: "sha512-+lmrnV0751R6U2rkIgVAlE1nWI7yZawlMlJDguW9tlFacCKhnGeCyc7tCMIhNNYIiGIQy4DEX5IzJhm4b3+dPA==" };

const gz = (buf: Uint8Array | string) => gzipSync(buf, { level: 9 }).byteLength;
const version = (pkg: string) => (JSON.parse(readFileSync(join(PEERS, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;

async function minified(entry: string, format: "esm" | "iife"): Promise<string> {
  const out = await build({ entryPoints: [entry], bundle: true, minify: true, format, platform: "browser", target: "es2019", write: false, logLevel: "silent" });
  return out.outputFiles[0]!.text;
}

function size(name: string, ver: string | null, file: string, what: string, text: string | Uint8Array): SnippetSize {
  const raw = typeof text === "string" ? Buffer.byteLength(text) : text.byteLength;
  return { name, version: ver, file, what, raw_bytes: raw, gzip_bytes: gz(text) };
}

/** Installs the peers (npm ci against bench/peers/package-lock.json) unless present. */
export function installPeers(log: (s: string) => void): void {
  if (existsSync(join(PEERS, "node_modules/posthog-js"))) return;
  log("installing peer trackers into bench/peers (npm ci)");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: PEERS, stdio: "inherit" });
}

/** Umami's tracker source, from the registry tarball of the `umami` package (npm pack). */
function umamiSource(): string {
  const dir = join(PEERS, "node_modules/.umami");
  const src = join(dir, "package/src/tracker/index.js");
  if (!existsSync(src)) {
    mkdirSync(dir, { recursive: true });
    const out = execFileSync("npm", ["pack", `umami@${UMAMI.version}`, "--json", "--pack-destination", dir], { cwd: dir, encoding: "utf8" });
    const info = (JSON.parse(out) as { filename: string; integrity: string }[])[0]!;
    if (info.integrity !== UMAMI.integrity) throw new Error(`umami@${UMAMI.version} integrity ${info.integrity} is not the pinned one`);
    execFileSync("tar", ["-xzf", info.filename, "package/src/tracker/index.js"], { cwd: dir });
  }
  return src;
}

/** This project's built snippet, when the branch has one (client-snippet/dist). */
function ownSnippet(): SnippetSize {
  const dist = join(ROOT, "client-snippet/dist");
  const files = existsSync(dist) ? readdirSync(dist).filter((f) => f.endsWith(".js") && !f.endsWith(".map")) : [];
  const pick = files.find((f) => /snippet.*\.js$/.test(f) && !/esm|module/.test(f)) ?? files[0];
  if (!pick) return { name: "edge-collector snippet", version: null, file: "client-snippet/dist/*.js", what: "the script tag", raw_bytes: null, gzip_bytes: null, note: "not built in this run" };
  return size("edge-collector snippet", null, `client-snippet/dist/${pick}`, "the script tag", readFileSync(join(dist, pick)));
}

export async function snippetSizes(log: (s: string) => void): Promise<SnippetSize[]> {
  installPeers(log);
  const nm = (p: string) => join(PEERS, "node_modules", p);
  const out: SnippetSize[] = [ownSnippet()];
  out.push(size("Umami", UMAMI.version, "umami/src/tracker/index.js (minified)", "script.js", await minified(umamiSource(), "iife")));
  out.push(size("Plausible (@plausible-analytics/tracker)", version("@plausible-analytics/tracker"), "plausible.js (bundled, minified)", "npm module", await minified(nm("@plausible-analytics/tracker/plausible.js"), "esm")));
  out.push(size("Plausible (plausible-tracker)", version("plausible-tracker"), "build/module/index.js (bundled, minified)", "npm module", await minified(nm("plausible-tracker/build/module/index.js"), "esm")));
  out.push(size("Segment (@segment/analytics-next)", version("@segment/analytics-next"), "dist/umd/standalone.js", "analytics.min.js, before lazy chunks", readFileSync(nm("@segment/analytics-next/dist/umd/standalone.js"))));
  out.push(size("PostHog (posthog-js)", version("posthog-js"), "dist/array.js", "the snippet's array.js, before lazy extensions", readFileSync(nm("posthog-js/dist/array.js"))));
  return out;
}
