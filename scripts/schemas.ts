/**
 * `npm run schemas`: writes schemas/json/*.json and schemas/json/manifest.ts from the zod schemas,
 * and the lake's typed columns (Parquet, Pipelines stream) to schemas/lake/stream-schema.json.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { buildJsonSchemas, manifestSource } from "../schemas/json-schema";
import { buildLakeSchema } from "../schemas/lake-schema";

const root = join(process.cwd(), "schemas", "json");
rmSync(root, { recursive: true, force: true });
const schemas = buildJsonSchemas();
for (const [name, schema] of Object.entries(schemas)) {
  mkdirSync(dirname(join(root, name)), { recursive: true });
  writeFileSync(join(root, name), JSON.stringify(schema, null, 2) + "\n");
}
writeFileSync(join(root, "manifest.ts"), manifestSource(Object.keys(schemas)));
console.log(`wrote ${Object.keys(schemas).length} schemas to schemas/json/: ${readdirSync(root).join(", ")}`);

const lake = join(process.cwd(), "schemas", "lake");
mkdirSync(lake, { recursive: true });
writeFileSync(join(lake, "stream-schema.json"), JSON.stringify(buildLakeSchema(), null, 2) + "\n");
console.log("wrote schemas/lake/stream-schema.json (lake columns: Parquet and the Pipelines stream)");
