/** Sites and their allowed origins, parsed once per isolate from the SITES variable; per-site secrets from SITE_SECRETS. */
import { allSiteSecretsSchema, sitesSchema, type SiteConfig, type SiteSecrets } from "../schemas";
import { buildKeyTable, type KeyTable } from "./lib/keys";
import { compileOrigins, type OriginMatcher } from "./lib/origin";
import type { Env } from "./env";

export interface Site extends SiteConfig {
  id: string;
  allows: OriginMatcher;
}
export interface SiteRegistry {
  get(id: string): Site | undefined;
  /** True when any site allows this origin (used for preflights, which carry no body). */
  anyAllows(origin: string): boolean;
}

let cached: { raw: string; reg: SiteRegistry } | undefined;

export function sites(env: Env): SiteRegistry {
  const raw = env.SITES ?? "{}";
  if (cached?.raw === raw) return cached.reg;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new Error(`SITES is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = sitesSchema.safeParse(json);
  if (!parsed.success) throw new Error(`SITES is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const map = new Map<string, Site>();
  for (const [id, cfg] of Object.entries(parsed.data)) map.set(id, { ...cfg, id, allows: compileOrigins(cfg.origins) });
  const all = [...map.values()];
  const reg: SiteRegistry = { get: (id) => map.get(id), anyAllows: (o) => all.some((s) => s.allows(o)) };
  cached = { raw, reg };
  return reg;
}

let cachedSecrets: { raw: string; map: ReadonlyMap<string, SiteSecrets> } | undefined;

/**
 * Per-site secrets from the SITE_SECRETS secret (JSON: {"<site>": {"server_keys": [...]}}),
 * validated like SITES. Errors name the field, never the value.
 */
export function siteSecrets(env: Env): ReadonlyMap<string, SiteSecrets> {
  const raw = env.SITE_SECRETS ?? "{}";
  if (cachedSecrets?.raw === raw) return cachedSecrets.map;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error("SITE_SECRETS is not valid JSON");
  }
  const parsed = allSiteSecretsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`SITE_SECRETS is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.code}`).join("; ")}`);
  const reg = sites(env);
  for (const id of Object.keys(parsed.data)) if (!reg.get(id)) throw new Error(`SITE_SECRETS names site ${id}, which is not in SITES`);
  const map = new Map(Object.entries(parsed.data));
  cachedSecrets = { raw, map };
  return map;
}

let cachedKeys: { raw: string; table: Promise<KeyTable> } | undefined;

/** Every site's browser key and server keys, hashed for constant-time matching (lib/keys.ts). */
export function siteKeys(env: Env): Promise<KeyTable> {
  const raw = `${env.SITES}\u0000${env.SITE_SECRETS ?? ""}`;
  if (cachedKeys?.raw === raw) return cachedKeys.table;
  const reg = sites(env);
  const secrets = siteSecrets(env);
  const ids = Object.keys((JSON.parse(env.SITES ?? "{}") as Record<string, unknown>) ?? {});
  const table = buildKeyTable(ids.map((id) => ({ site: id, browser_key: reg.get(id)?.browser_key, server_keys: secrets.get(id)?.server_keys })));
  cachedKeys = { raw, table };
  return table;
}
