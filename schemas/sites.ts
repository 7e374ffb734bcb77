/**
 * Site configuration: the SITES variable (JSON, wrangler.toml) and the SITE_SECRETS secret,
 * validated, with their defaults, parsed once per isolate. Errors name the field, never a secret.
 */
import { array, boolean, enum as oneOf, number, record, strictObject, string, type z } from "zod";
import { compileOrigins, type OriginMatcher } from "./origin";

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
  /** Consent categories of the browser SDKs (Segment, RudderStack) that must all be granted; unset: any granted category grants (worker/lib/sdk-consent.ts). */
  consent_categories: array(string().min(1).max(64)).min(1).max(50).optional(),
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

/** The variables the registry reads (a subset of the worker's Env). */
export interface SiteVars {
  SITES?: string;
  SITE_SECRETS?: string;
}

export interface Site extends SiteConfig {
  id: string;
  allows: OriginMatcher;
}
export interface SiteRegistry {
  get(id: string): Site | undefined;
  /** The site's settings, or the defaults when the site is unknown (objects outliving a config change). */
  settings(id: string | null | undefined): SiteConfig;
  /** True when any site allows this origin (used for preflights, which carry no body). */
  anyAllows(origin: string): boolean;
  ids(): string[];
}

const DEFAULTS: SiteConfig = siteConfigSchema.parse({});
const issues = (e: z.ZodError, show: "message" | "code") => e.issues.map((i) => `${i.path.join(".")}: ${i[show]}`).join("; ");
let cached: { raw: string; reg: SiteRegistry } | undefined;

export function sites(vars: SiteVars): SiteRegistry {
  const raw = vars.SITES ?? "{}";
  if (cached?.raw === raw) return cached.reg;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new Error(`SITES is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = sitesSchema.safeParse(json);
  if (!parsed.success) throw new Error(`SITES is invalid: ${issues(parsed.error, "message")}`);
  const map = new Map<string, Site>();
  for (const [id, cfg] of Object.entries(parsed.data)) map.set(id, { ...cfg, id, allows: compileOrigins(cfg.origins) });
  const all = [...map.values()];
  const reg: SiteRegistry = {
    get: (id) => map.get(id),
    settings: (id) => (id ? map.get(id) : undefined) ?? DEFAULTS,
    anyAllows: (o) => all.some((s) => s.allows(o)),
    ids: () => [...map.keys()],
  };
  cached = { raw, reg };
  return reg;
}

let cachedSecrets: { raw: string; map: ReadonlyMap<string, SiteSecrets> } | undefined;

/** Per-site secrets from SITE_SECRETS, validated like SITES; every site named must exist in SITES. */
export function siteSecrets(vars: SiteVars): ReadonlyMap<string, SiteSecrets> {
  const raw = vars.SITE_SECRETS ?? "{}";
  if (cachedSecrets?.raw === raw) return cachedSecrets.map;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error("SITE_SECRETS is not valid JSON");
  }
  const parsed = allSiteSecretsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`SITE_SECRETS is invalid: ${issues(parsed.error, "code")}`);
  const reg = sites(vars);
  for (const id of Object.keys(parsed.data)) if (!reg.get(id)) throw new Error(`SITE_SECRETS names site ${id}, which is not in SITES`);
  const map = new Map(Object.entries(parsed.data));
  cachedSecrets = { raw, map };
  return map;
}
