/**
 * Write keys of the Segment-compatible API. Each site may have one public browser key (in
 * SITES, bound to the site's origins, events only) and secret server keys (in SITE_SECRETS).
 * A given key is compared with every known key in constant time (SHA-256 first, so lengths
 * match, then timingSafeEqual), without stopping at the first match.
 */

export type KeyKind = "browser" | "server";
export interface KeyMatch {
  site: string;
  kind: KeyKind;
}
interface Entry extends KeyMatch {
  digest: ArrayBuffer;
}
export interface KeyTable {
  entries: readonly Entry[];
}

const enc = new TextEncoder();
const sha256 = (s: string) => crypto.subtle.digest("SHA-256", enc.encode(s));

export interface KeySource {
  site: string;
  browser_key?: string | undefined;
  server_keys?: readonly string[] | undefined;
}

/** Throws when one key is configured twice: a key must name exactly one site and kind. */
export async function buildKeyTable(sources: readonly KeySource[]): Promise<KeyTable> {
  const seen = new Map<string, string>();
  const plain: { site: string; kind: KeyKind; key: string }[] = [];
  for (const s of sources) {
    const keys: [KeyKind, string][] = [...(s.browser_key ? [["browser", s.browser_key] as [KeyKind, string]] : []), ...(s.server_keys ?? []).map((k) => ["server", k] as [KeyKind, string])];
    for (const [kind, key] of keys) {
      const where = `${s.site} (${kind})`;
      const other = seen.get(key);
      if (other) throw new Error(`the same write key is configured for ${other} and ${where}`);
      seen.set(key, where);
      plain.push({ site: s.site, kind, key });
    }
  }
  const entries = await Promise.all(plain.map(async (p) => ({ site: p.site, kind: p.kind, digest: await sha256(p.key) })));
  return { entries };
}

/** The site and kind of a key, or null. Looks at every entry whatever matches. */
export async function matchKey(table: KeyTable, given: string): Promise<KeyMatch | null> {
  const d = await sha256(given);
  let found: KeyMatch | null = null;
  for (const e of table.entries) {
    if (crypto.subtle.timingSafeEqual(d, e.digest) && !found) found = { site: e.site, kind: e.kind };
  }
  return found;
}

/**
 * The write key of a request: the user name of HTTP Basic auth (Segment's scheme: the key,
 * a colon, an empty password), else a `writeKey` field in the body (Segment's alternative).
 */
export function writeKeyOf(authorization: string | null | undefined, bodyWriteKey: unknown): { key: string; from: "authorization" | "writeKey" } | { error: string } {
  if (authorization) {
    const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
    if (!m) return { error: "Authorization must be HTTP Basic with the write key as user name" };
    let decoded: string;
    try {
      decoded = atob(m[1]!.replace(/-/g, "+").replace(/_/g, "/"));
    } catch {
      return { error: "Authorization is not valid base64" };
    }
    const key = decoded.includes(":") ? decoded.slice(0, decoded.indexOf(":")) : decoded;
    if (!key) return { error: "Authorization has an empty user name; it must be the write key" };
    return { key, from: "authorization" };
  }
  if (typeof bodyWriteKey === "string" && bodyWriteKey) return { key: bodyWriteKey, from: "writeKey" };
  return { error: "no write key: send HTTP Basic auth with the write key as user name" };
}
