/** Site configuration, read from the SITES variable (JSON) in wrangler.toml. */
import { array, boolean, enum as oneOf, number, record, strictObject, string, type z } from "zod";

export const originPattern = string()
  .regex(/^https?:\/\/[A-Za-z0-9.*-]+(:(\d+|\*))?$/, "expected an origin such as https://shop.example, https://*.shop.example or http://localhost:*");

/** A write key as Segment-compatible clients send it (HTTP Basic user name). */
export const writeKey = string().min(8).max(256).regex(/^[\x21-\x39\x3b-\x7e]+$/, "expected 8-256 printable ASCII characters, no spaces or ':'");

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
  /** Public key for the Segment-compatible API from browsers: bound to `origins`, events only. */
  browser_key: writeKey.optional(),
  /** "required": events of a user without consent are held in their object until granted (then released) or denied (then purged). */
  consent_mode: oneOf(["off", "required"]).default("off"),
  /** What a behavioural bot score at or over bot_threshold does: flag the events (bot_score in the lake) or drop them. */
  bot_action: oneOf(["flag", "drop"]).default("flag"),
  bot_threshold: number().int().min(1).max(100).default(70),
});
/** Per-site secrets, read from the SITE_SECRETS secret (JSON). Every field is optional. */
export const siteSecretsSchema = strictObject({
  /** Secret keys for servers: user_id is trusted, timestamps are kept as sent. Several allow rotation. */
  server_keys: array(writeKey).max(10).optional(),
  /**
   * Read-only keys for the site's backend (`Authorization: Bearer <key>`): GET this site's
   * profiles, profile streams, recommendations and catalogue, nothing else (worker/access/).
   * Several allow rotation.
   */
  read_keys: array(writeKey).max(10).optional(),
  /** Key for user_id_sig = hex HMAC-SHA256(identity_secret, user_id) (worker/lib/identity.ts). */
  identity_secret: string().min(16).max(256).optional(),
});
export const allSiteSecretsSchema = record(string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), siteSecretsSchema);
export const sitesSchema = record(string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/), siteConfigSchema);
export type SiteConfig = z.infer<typeof siteConfigSchema>;
export type Sites = z.infer<typeof sitesSchema>;
export type SiteSecrets = z.infer<typeof siteSecretsSchema>;
