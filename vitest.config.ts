import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const SITES = JSON.stringify({
  demo: { origins: ["http://localhost:*", "http://127.0.0.1:*"], browser_key: "demo-browser-key" },
  shop: { origins: ["https://shop.example", "https://*.shop.example"], browser_key: "shop-browser-key" },
  chaos: { origins: [] },
  // Observability tests (test/observability.test.ts): one site each, so their counts are exact.
  obs: { origins: ["https://obs.example"] },
  "obs-ae": { origins: [] },
  "obs-dlq": { origins: [] },
  // Identity tests: user ids must be signed with SITE_SECRETS.secure.identity_secret.
  secure: { origins: ["https://secure.example"], require_identity_signature: true, browser_key: "secure-browser-key" },
  // Timer tests: sessions end after 2 s idle, carts are abandoned after 1 s idle.
  timers: { origins: [], session_timeout_seconds: 2, cart_abandon_seconds: 1 },
  consent: { origins: [], consent_mode: "required" },
  botdrop: { origins: [], bot_action: "drop", bot_threshold: 70 },
});
const SITE_SECRETS = JSON.stringify({
  demo: { server_keys: ["test-server-key", "test-server-key-2"], read_keys: ["test-read-key", "test-read-key-2"] },
  shop: { server_keys: ["shop-server-key"], read_keys: ["shop-read-key"] },
  secure: { identity_secret: "test-identity-secret-0123456789", server_keys: ["secure-server-key"] },
});

/** A project whose tests run inside workerd against this wrangler.toml, with test bindings on top. */
function workerd(bindings: Record<string, string>, extra: { ratelimits?: Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }> } = {}, main?: string) {
  return cloudflareTest({
    ...(main ? { main } : {}),
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token", SITES, ...bindings }, ...extra },
  });
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    projects: [
      {
        // Unit and integration tests inside workerd, against the real worker and bindings.
        plugins: [
          workerd(
            // Short enough for end-to-end tests to reach R2 quickly; the default stays 5 s.
            { SITE_SECRETS, FLUSH_INTERVAL_MS: "500" },
            {
              ratelimits: {
                IP_LIMITER: { namespace_id: "1001", simple: { limit: 20, period: 60 } },
                // Only for the per-site limit test, which swaps it in for SITE_LIMITER.
                TIGHT_LIMITER: { namespace_id: "1003", simple: { limit: 5, period: 60 } },
              },
            },
          ),
        ],
        test: {
          name: "workers",
          include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "schemas/**/*.test.ts", "test/**/*.test.ts", "bench/*.test.ts"],
          exclude: ["test/chaos/**"],
        },
      },
      {
        // The same worker and objects, their Queue and R2 bindings wrapped to fail (test/chaos/entry.ts).
        plugins: [workerd({ FLUSH_INTERVAL_MS: "300" }, {}, "./test/chaos/entry.ts")],
        test: { name: "chaos", include: ["test/chaos/**/*.test.ts"], testTimeout: 600_000 },
      },
      // The browser snippet's logic, in Node (browser globals are set up per test).
      { test: { name: "snippet", environment: "node", include: ["client-snippet/test/**/*.test.ts"] } },
      // Node tests against a collector started on 127.0.0.1: real SDKs, DuckDB, real headless Chromium.
      { test: { name: "e2e", environment: "node", include: ["e2e/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
    ],
  },
});
