// Fails the build when an import runs against the layers (worker -> durable-objects -> schemas;
// client-snippet -> schemas) or a source file grows past 400 lines. Run by `npm test` (pretest).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
// What each top-level folder may import from the others.
const allowed = { worker: ["durable-objects", "schemas"], "durable-objects": ["schemas"], schemas: [], "client-snippet": ["schemas"] };
const MAX_LINES = 400;
const problems = [];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === "node_modules" || name === "dist" || name === "generated" || name === "json") continue;
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(ts|mjs)$/.test(name) && !name.endsWith(".d.ts")) yield p;
  }
}

for (const top of Object.keys(allowed)) {
  const base = top === "client-snippet" ? join(root, top, "src") : join(root, top);
  for (const file of files(base)) {
    const text = readFileSync(file, "utf8");
    const rel = relative(root, file);
    const isTest = /\.test\.ts$/.test(file);
    if (!isTest && text.split("\n").length > MAX_LINES) problems.push(`${rel}: ${text.split("\n").length} lines (at most ${MAX_LINES}; split it into named collaborators)`);
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)) {
      const target = relative(root, normalize(join(dirname(file), m[1]))).split("/")[0];
      if (target === top || !(target in allowed) || isTest) continue;
      if (!allowed[top].includes(target)) problems.push(`${rel} imports ${m[1]}: ${top}/ may import only ${allowed[top].join(", ") || "nothing outside itself"}`);
    }
  }
}
if (problems.length) {
  console.error(`layers: ${problems.length} problem(s)\n- ${problems.join("\n- ")}`);
  process.exit(1);
}
console.log("layers: imports run worker -> durable-objects -> schemas, client-snippet -> schemas; no source file over 400 lines");
