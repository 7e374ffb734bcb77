/**
 * Every key the collector knows, in one table: the admin token, each site's read keys, server
 * keys and browser key. A presented key is hashed (SHA-256, so every digest has one length) and
 * compared with every entry by `timingSafeEqual`, without stopping at a match, so the time does
 * not tell which key (or how much of one) matched. Keys are never logged or returned; errors
 * name where a key is configured, never the key.
 */
import { writeKeyOf } from "../lib/keys";

export type KeyKind = "admin" | "read" | "server" | "browser";
export interface KeyOwner {
  kind: KeyKind;
  /** The key's site; null for the admin token. */
  site: string | null;
}
interface Entry extends KeyOwner {
  digest: ArrayBuffer;
}
export interface CredentialTable {
  entries: readonly Entry[];
}

export interface CredentialSource {
  admin_token?: string | undefined;
  sites: readonly { site: string; read_keys?: readonly string[] | undefined; server_keys?: readonly string[] | undefined; browser_key?: string | undefined }[];
}

const enc = new TextEncoder();
const sha256 = (s: string) => crypto.subtle.digest("SHA-256", enc.encode(s));

/** Throws when one key is configured twice: a key must name exactly one credential. */
export async function buildCredentialTable(src: CredentialSource): Promise<CredentialTable> {
  const plain: { kind: KeyKind; site: string | null; key: string }[] = [];
  if (src.admin_token) plain.push({ kind: "admin", site: null, key: src.admin_token });
  for (const s of src.sites) {
    for (const key of s.read_keys ?? []) plain.push({ kind: "read", site: s.site, key });
    for (const key of s.server_keys ?? []) plain.push({ kind: "server", site: s.site, key });
    if (s.browser_key) plain.push({ kind: "browser", site: s.site, key: s.browser_key });
  }
  const seen = new Map<string, string>();
  for (const p of plain) {
    const where = p.site === null ? "ADMIN_TOKEN" : `${p.site} (${p.kind})`;
    const other = seen.get(p.key);
    if (other) throw new Error(`the same key is configured for ${other} and ${where}`);
    seen.set(p.key, where);
  }
  return { entries: await Promise.all(plain.map(async (p) => ({ kind: p.kind, site: p.site, digest: await sha256(p.key) }))) };
}

/** Whose key this is, or null. Looks at every entry whatever matches. */
export async function lookup(table: CredentialTable, key: string): Promise<KeyOwner | null> {
  const d = await sha256(key);
  let found: KeyOwner | null = null;
  for (const e of table.entries) {
    if (crypto.subtle.timingSafeEqual(d, e.digest) && !found) found = { kind: e.kind, site: e.site };
  }
  return found;
}

/**
 * The key a request presents in `Authorization`: `Bearer <key>` (admin token, read keys), or
 * HTTP Basic with the key as user name (Segment's scheme for write keys). Null when there is no
 * Authorization header; an error for one that is neither.
 */
export function presentedKey(authorization: string | null | undefined): { key: string } | { error: string } | null {
  if (authorization === undefined || authorization === null || authorization.trim() === "") return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (bearer) return { key: bearer[1]!.trim() };
  if (/^Basic\s/i.test(authorization.trim())) {
    const wk = writeKeyOf(authorization.trim(), undefined);
    return "error" in wk ? { error: wk.error } : { key: wk.key };
  }
  return { error: "Authorization must be `Bearer <key>` (or HTTP Basic with a write key as user name)" };
}
