/** Site configuration, read from the SITES variable (JSON) in wrangler.toml. */
import { array, boolean, number, record, strictObject, string, type z } from "zod";

export const originPattern = string()
  .regex(/^https?:\/\/[A-Za-z0-9.*-]+(:(\d+|\*))?$/, "expected an origin such as https://shop.example, https://*.shop.example or http://localhost:*");

export const siteConfigSchema = strictObject({
  origins: array(originPattern).max(100).default([]),
  /** When true, a user_id without a valid user_id_sig is not trusted (kept under the anonymous id). */
  require_identity_signature: boolean().default(false),
  /** Inactivity after which a session ends and a session_end event is made. */
  session_timeout_seconds: number().int().min(1).max(86_400).default(1800),
  /** Inactivity with items in the cart after which a cart_abandoned event is made. */
  cart_abandon_seconds: number().int().min(1).max(30 * 86_400).default(3600),
  /** Extra query parameters to strip from stored URLs (a built-in list always applies). */
  scrub_params: array(string().min(1).max(64)).max(100).default([]),
});
export const sitesSchema = record(string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), siteConfigSchema);
export type SiteConfig = z.infer<typeof siteConfigSchema>;
export type Sites = z.infer<typeof sitesSchema>;

/** The SITE_SECRETS secret (JSON): per-site secrets, never logged, never in the lake. */
export const siteSecretSchema = strictObject({
  /** Key for user_id_sig = hex HMAC-SHA256(identity_secret, user_id). */
  identity_secret: string().min(16).max(256).optional(),
});
export const siteSecretsSchema = record(string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), siteSecretSchema);
export type SiteSecret = z.infer<typeof siteSecretSchema>;
