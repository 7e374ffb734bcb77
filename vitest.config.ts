import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const SITES = JSON.stringify({
  demo: { origins: ["http://localhost:*", "http://127.0.0.1:*"], browser_key: "demo-browser-key" },
  shop: { origins: ["https://shop.example", "https://*.shop.example"], browser_key: "shop-browser-key" },
  chaos: { origins: [] },
  // Observability tests (test/observability.integration.test.ts): one site each, so their counts are exact.
  obs: { origins: ["https://obs.example"] },
  "obs-ae": { origins: [] },
  "obs-dlq": { origins: [] },
  // Identity tests: user ids must be signed with SITE_SECRETS.secure.identity_secret.
  secure: { origins: ["https://secure.example"], require_identity_signature: true, browser_key: "secure-browser-key" },
  // Timer tests: sessions end after 2 s idle, carts are abandoned after 1 s idle.
  timers: { origins: [], session_timeout_seconds: 2, cart_abandon_seconds: 1 },
  consent: { origins: [], consent_mode: "required" },
  // Browser SDKs (test/browser-sdk-routes.integration.test.ts): consent stated by analytics.js / RudderStack; its own origin so metrics are attributed to it.
  sdkconsent: { origins: ["https://consent.example"], consent_mode: "required", browser_key: "sdkconsent-browser-key" },
  botdrop: { origins: [], bot_action: "drop", bot_threshold: 70 },
  // Recommendations tests: each its own site, so site-wide statistics are exact.
  recs: { origins: [] },
  "recs-bounds": { origins: [] },
  "recs-fuzz": { origins: [] },
});
const SITE_SECRETS = JSON.stringify({
  demo: { server_keys: ["test-server-key", "test-server-key-2"], read_keys: ["test-read-key", "test-read-key-2"] },
  shop: { server_keys: ["shop-server-key"], read_keys: ["shop-read-key"] },
  recs: { server_keys: ["recs-server-key"], read_keys: ["recs-read-key"] },
  secure: { identity_secret: "test-identity-secret-0123456789", server_keys: ["secure-server-key"] },
});

/** A project whose tests run inside workerd against this wrangler.toml, with test bindings on top. */
function workerd(bindings: Record<string, string>, extra: { ratelimits?: Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }> } = {}, main?: string) {
  return cloudflareTest({
    ...(main ? { main } : {}),
    wrangler: { configPath: "./wrangler.toml" },
    // LAKE_STREAM: Miniflare's local Pipelines binding (accepts send() and discards), for test/pipeline.integration.test.ts.
    miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token", SITES, ...bindings }, pipelines: { LAKE_STREAM: "collector-lake-stream" }, ...extra },
  });
}

/** The worker as the integration and fuzz tests see it. */
const collector = () =>
  workerd(
    // Short enough for end-to-end tests to reach R2 quickly; the default stays 5 s.
    // Small item bounds, so a test can fill them (test/items.integration.test.ts).
    { SITE_SECRETS, FLUSH_INTERVAL_MS: "500", ITEM_SHARD_MAX_PRODUCTS: "200", CATALOG_SHARD_MAX_PRODUCTS: "200" },
    {
      ratelimits: {
        IP_LIMITER: { namespace_id: "1001", simple: { limit: 20, period: 60 } },
        // Only for the per-site limit test, which swaps it in for SITE_LIMITER.
        TIGHT_LIMITER: { namespace_id: "1003", simple: { limit: 5, period: 60 } },
      },
    },
  );

/**
 * Where each kind of test lives, and the project that runs it (README, Tests). A test file
 * outside these patterns would never run, so loading this config fails on one.
 */
const KINDS = {
  // Pure functions beside the code, in workerd (the runtime they ship to) but with no worker and no bindings.
  unit: ["worker/**/*.unit.test.ts", "durable-objects/**/*.unit.test.ts", "schemas/**/*.unit.test.ts", "bench/*.unit.test.ts", "bench/eval/*.unit.test.ts"],
  // The browser snippet's logic, in Node (browser globals are set up per test).
  snippet: ["client-snippet/test/*.unit.test.ts"],
  // The real worker and bindings in workerd.
  workers: ["test/*.integration.test.ts"],
  fuzz: ["test/fuzz/*.fuzz.test.ts"],
  chaos: ["test/chaos/*.chaos.test.ts"],
  // Node against a collector started by e2e/support/collector.ts: real SDKs, DuckDB, headless Chromium.
  e2e: ["e2e/*.e2e.test.ts"],
};
checkTestFileNames(Object.values(KINDS).flat());

export default defineConfig({
  test: {
    testTimeout: 30_000,
    projects: [
      {
        plugins: [cloudflareTest({ miniflare: { compatibilityDate: "2026-11-01", compatibilityFlags: ["nodejs_compat"] } })],
        test: { name: "unit", include: KINDS.unit, isolate: false },
      },
      { plugins: [collector()], test: { name: "workers", include: KINDS.workers } },
      { plugins: [collector()], test: { name: "fuzz", include: KINDS.fuzz } },
      {
        // The same worker and objects, their Queue and R2 bindings wrapped to fail (test/chaos/entry.ts).
        plugins: [workerd({ FLUSH_INTERVAL_MS: "300" }, {}, "./test/chaos/entry.ts")],
        test: { name: "chaos", include: KINDS.chaos, testTimeout: 600_000 },
      },
      { test: { name: "snippet", environment: "node", include: KINDS.snippet } },
      { test: { name: "e2e", environment: "node", include: KINDS.e2e, globalSetup: ["e2e/support/setup.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
    ],
  },
});

/** Fails when a *.test.ts file matches no project's pattern (it would silently never run). */
function checkTestFileNames(globs: string[]) {
  const toRegExp = (g: string) => new RegExp(`^${g.replace(/\./g, "\\.").replace(/\*\*\//g, "\0").replace(/\*/g, "[^/]*").replace(/\0/g, "(?:.*/)?")}$`);
  const patterns = globs.map(toRegExp);
  const root = fileURLToPath(new URL(".", import.meta.url));
  const skip = new Set(["node_modules", ".git", ".wrangler", "dist", ".bench-dist", ".ci-dist", "test-results"]);
  const stray: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir === "" ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (!skip.has(e.name)) walk(path);
      } else if (e.name.endsWith(".test.ts") && !patterns.some((p) => p.test(path))) stray.push(path);
    }
  };
  walk("");
  if (stray.length) throw new Error(`test files outside the naming rule (vitest.config.ts KINDS), they would never run: ${stray.join(", ")}`);
}
