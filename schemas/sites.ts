/** Site configuration, read from the SITES variable (JSON) in wrangler.toml. */
import { array, record, strictObject, string, type z } from "zod";

export const originPattern = string()
  .regex(/^https?:\/\/[A-Za-z0-9.*-]+(:(\d+|\*))?$/, "expected an origin such as https://shop.example, https://*.shop.example or http://localhost:*");

export const siteConfigSchema = strictObject({
  origins: array(originPattern).max(100).default([]),
  /** Extra query parameters to strip from stored URLs (a built-in list always applies). */
  scrub_params: array(string().min(1).max(64)).max(100).default([]),
});
export const sitesSchema = record(string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), siteConfigSchema);
export type SiteConfig = z.infer<typeof siteConfigSchema>;
export type Sites = z.infer<typeof sitesSchema>;
