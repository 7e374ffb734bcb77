#!/usr/bin/env node
/**
 * The size budgets (bundles.mjs): fails when a built script is over its gzip budget (level 9):
 * the core snippet 3,072 bytes, the add-ons datalayer 1,280, extras 768, personalize 1,536.
 * Prints the figures.
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { BUNDLES } from "./bundles.mjs";

let failed = false;
for (const { name, budget } of BUNDLES) {
  const code = readFileSync(new URL(`./dist/${name}.js`, import.meta.url));
  const gz = gzipSync(code, { level: 9 }).length;
  const line = `${name} size: ${code.length} bytes minified, ${gz} bytes gzip (budget ${budget} bytes gzip)`;
  if (gz > budget) {
    console.error(`FAIL ${line}: ${gz - budget} bytes over`);
    failed = true;
  } else console.log(`ok   ${line}, ${budget - gz} bytes to spare`);
}
if (failed) process.exit(1);
