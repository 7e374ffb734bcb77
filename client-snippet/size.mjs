#!/usr/bin/env node
/**
 * The size budgets: fails when the built snippet IIFE is over 3,072 bytes gzip (level 9), or the
 * dataLayer bridge add-on over 1,280. Prints the figures.
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

let failed = false;
for (const [name, budget] of [["snippet", 3072], ["datalayer", 1280]]) {
  const code = readFileSync(new URL(`./dist/${name}.js`, import.meta.url));
  const gz = gzipSync(code, { level: 9 }).length;
  const line = `${name} size: ${code.length} bytes minified, ${gz} bytes gzip (budget ${budget} bytes gzip)`;
  if (gz > budget) {
    console.error(`FAIL ${line}: ${gz - budget} bytes over`);
    failed = true;
  } else console.log(`ok   ${line}, ${budget - gz} bytes to spare`);
}
if (failed) process.exit(1);
