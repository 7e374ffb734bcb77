import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        // The worker, the Durable Object and the schemas, inside workerd.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: { ADMIN_TOKEN: "test-admin-token" },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "schemas/**/*.test.ts", "test/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        // The browser snippet's logic, in Node (browser globals are set up per test).
        test: { name: "snippet", environment: "node", include: ["client-snippet/test/**/*.test.ts"] },
      },
      {
        // Real headless Chromium against a local collector (`wrangler dev`) started by the tests.
        test: { name: "e2e", environment: "node", include: ["e2e/**/*.test.ts"], testTimeout: 90_000, hookTimeout: 90_000 },
      },
    ],
  },
});
