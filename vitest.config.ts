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
            // Identity tests: user ids must be signed with SITE_SECRETS.secure.identity_secret.
            secure: { origins: [], require_identity_signature: true },
            // Timer tests: sessions end after 2 s idle, carts are abandoned after 1 s idle.
            timers: { origins: [], session_timeout_seconds: 2, cart_abandon_seconds: 1 },
          }),
          SITE_SECRETS: JSON.stringify({ secure: { identity_secret: "test-identity-secret-0123456789" } }),
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
