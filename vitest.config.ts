import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const workers = {
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          SITES: JSON.stringify({
            demo: { origins: ["http://localhost:*", "http://127.0.0.1:*"], browser_key: "demo-browser-key" },
            shop: { origins: ["https://shop.example", "https://*.shop.example"], browser_key: "shop-browser-key" },
          }),
          SITE_SECRETS: JSON.stringify({ demo: { server_keys: ["test-server-key", "test-server-key-2"] }, shop: { server_keys: ["shop-server-key"] } }),
          // Short enough for end-to-end tests to reach R2 quickly; the default stays 5 s.
          FLUSH_INTERVAL_MS: "500",
        },
      },
    }),
  ],
  test: {
    name: "workers",
    include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "schemas/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
  },
};

export default defineConfig({
  test: {
    projects: [
      workers,
      // Node tests against a collector started on 127.0.0.1 (e2e/support/collector.ts): real SDKs, DuckDB.
      { test: { name: "e2e", environment: "node", include: ["e2e/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 } },
    ],
  },
});
