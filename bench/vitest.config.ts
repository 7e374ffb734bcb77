// Benchmarks of the pure ingest functions (`npm run bench:cpu`, also part of `npm run bench`).
// Not part of `npm test`: the root config's projects do not include bench/.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "cpu",
    root: new URL("..", import.meta.url).pathname,
    environment: "node",
    include: [],
    // workerd forbids code generation from strings, so zod runs without its JIT there: measure that.
    setupFiles: ["bench/zod-jitless.ts"],
    benchmark: { enabled: true, include: ["bench/**/*.bench.ts"] },
  },
});
