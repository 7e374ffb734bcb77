#!/usr/bin/env node
/** The size budget: fails when the built IIFE is over 3,072 bytes gzip (level 9). Prints the figure. */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 3072;
const file = new URL("./dist/snippet.js", import.meta.url);
const code = readFileSync(file);
const gz = gzipSync(code, { level: 9 }).length;
const line = `snippet size: ${code.length} bytes minified, ${gz} bytes gzip (budget ${BUDGET} bytes gzip)`;
if (gz > BUDGET) {
  console.error(`FAIL ${line}: ${gz - BUDGET} bytes over`);
  process.exit(1);
}
console.log(`ok   ${line}, ${BUDGET - gz} bytes to spare`);
