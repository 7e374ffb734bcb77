/** The worker's view of sites: the registry and secrets (parsed in schemas/sites.ts) and the write-key table. */
import { sites, siteSecrets } from "../schemas";
import { buildKeyTable, type KeyTable } from "./lib/keys";

export { sites, siteSecrets } from "../schemas";
export type { Site, SiteRegistry } from "../schemas";

let cachedKeys: { raw: string; table: Promise<KeyTable> } | undefined;

/** Every site's browser key and server keys, hashed for constant-time matching (lib/keys.ts). */
export function siteKeys(env: Env): Promise<KeyTable> {
  const raw = `${env.SITES}\u0000${env.SITE_SECRETS ?? ""}`;
  if (cachedKeys?.raw === raw) return cachedKeys.table;
  const reg = sites(env);
  const secrets = siteSecrets(env);
  const table = buildKeyTable(reg.ids().map((id) => ({ site: id, browser_key: reg.get(id)?.browser_key, server_keys: secrets.get(id)?.server_keys })));
  cachedKeys = { raw, table };
  return table;
}
