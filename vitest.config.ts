import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          SITES: JSON.stringify({
            demo: { origins: ["http://localhost:*", "http://127.0.0.1:*"] },
            shop: { origins: ["https://shop.example", "https://*.shop.example"] },
          }),
          // Short enough for end-to-end tests to reach R2 quickly; the default stays 5 s.
          FLUSH_INTERVAL_MS: "500",
        },
      },
    }),
  ],
  test: {
    include: ["worker/**/*.test.ts", "durable-objects/**/*.test.ts", "schemas/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
