/**
 * The script-tag builds and their gzip budgets (level 9), in one place for build.mjs and
 * size.mjs. Each is a minified IIFE served by the worker at /<name>.js and /<name>.<hash>.js,
 * and written to worker/generated/<name>.ts as <CONST>, <CONST>_HASH, <CONST>_BYTES and
 * <CONST>_GZIP_BYTES.
 */
export const BUNDLES = [
  { name: "snippet", entry: "iife.ts", constant: "SNIPPET", budget: 3072, what: "the core snippet" },
  { name: "datalayer", entry: "datalayer-iife.ts", constant: "DATALAYER", budget: 1280, what: "the dataLayer bridge add-on" },
  { name: "extras", entry: "extras-iife.ts", constant: "EXTRAS", budget: 768, what: "form submissions and generic clicks (add-on)" },
  { name: "personalize", entry: "personalize-iife.ts", constant: "PERSONALIZE", budget: 1536, what: "recommendations on the page (add-on)" },
];
