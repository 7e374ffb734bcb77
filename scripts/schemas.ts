/** `npm run schemas`: writes schemas/json/*.json and schemas/json/manifest.ts from the zod schemas. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildJsonSchemas, manifestSource } from "../schemas/json-schema";

const root = join(process.cwd(), "schemas", "json");
rmSync(root, { recursive: true, force: true });
const schemas = buildJsonSchemas();
for (const [name, schema] of Object.entries(schemas)) {
  mkdirSync(dirname(join(root, name)), { recursive: true });
  writeFileSync(join(root, name), JSON.stringify(schema, null, 2) + "\n");
}
writeFileSync(join(root, "manifest.ts"), manifestSource(Object.keys(schemas)));
console.log(`wrote ${Object.keys(schemas).length} schemas to schemas/json/: ${readdirSync(root).join(", ")}`);
