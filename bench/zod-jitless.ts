// workerd disallows `new Function`, so zod validates without its JIT in the worker. The CPU
// bench sets the same before any schema is built (BENCH_ZOD_JIT=1 measures Node's JIT path).
import { config } from "zod";

if (process.env.BENCH_ZOD_JIT !== "1") config({ jitless: true });
