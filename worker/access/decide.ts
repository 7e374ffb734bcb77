/** Pure decisions: may this credential call this route, for this site? And who is the caller then. */
import type { KeyKind, KeyOwner } from "./credentials";
import type { Credential, RouteRule } from "./table";

/** Who called, set by `access()` as `c.get("principal")`. Never holds the key itself. */
export type Principal =
  | { kind: "admin"; site: null; scope: "all" }
  | { kind: "read" | "server" | "browser"; site: string; scope: "site" }
  /** A browser without a key, for one visitor: by anonymous id, or by user id proven with `sig`. */
  | { kind: "visitor"; site: string; scope: { id: string; by: "anonymous_id" | "user_id" } };

export interface Denial {
  status: 401 | 403 | 404;
  error: string;
  details: { path: string; message: string }[];
}

const LABEL: Record<Credential, string> = {
  admin: "the admin token",
  read: "a read key",
  server: "a server key",
  browser: "a browser key",
  visitor: "a browser without a key",
};
const HOW: Record<Credential, string> = {
  admin: "Authorization: Bearer <admin token>",
  read: "Authorization: Bearer <a read key of the site>",
  server: "HTTP Basic with a server key of the site as user name",
  browser: "HTTP Basic with the site's browser key, from one of its origins",
  visitor: "no key, from an Origin the site allows",
};

/** What a route takes, in words: "Authorization: Bearer <admin token>, or ...". */
export function expected(rule: RouteRule): string {
  return rule.allow === "public" ? "nothing" : rule.allow.map((c) => HOW[c]).join(", or ");
}

/** The challenge schemes for WWW-Authenticate. */
export function challenges(rule: RouteRule): string {
  const allow = rule.allow === "public" ? [] : rule.allow;
  const schemes = [...(allow.some((c) => c === "admin" || c === "read") ? ['Bearer realm="collector"'] : []), ...(allow.some((c) => c === "server" || c === "browser") ? ['Basic realm="collector"'] : [])];
  return schemes.join(", ") || 'Bearer realm="collector"';
}

export function missing(rule: RouteRule): Denial {
  return { status: 401, error: "missing credentials", details: [{ path: "authorization", message: `expected ${expected(rule)}` }] };
}

export function malformed(rule: RouteRule, why: string): Denial {
  return { status: 401, error: "malformed Authorization", details: [{ path: "authorization", message: `${why}; expected ${expected(rule)}` }] };
}

/**
 * The decision for a presented key: null to let it through, else the answer. `owner` is null
 * for a key nobody has; `siteParam` is the `:site` of the path, if the route has one.
 */
export function decideKey(rule: RouteRule, owner: KeyOwner | null, siteParam: string | undefined): Denial | null {
  if (!owner) return { status: 401, error: "unknown key", details: [{ path: "authorization", message: `expected ${expected(rule)}` }] };
  const kind: KeyKind = owner.kind;
  if (rule.allow === "public") return null;
  if (!rule.allow.includes(kind)) {
    const why = kind === "server" || kind === "browser" ? "write keys may only send events" : kind === "read" ? "read keys may only read their site's profiles, recommendations and catalogue" : "the admin token has no site to send events for; use a site's write key";
    return { status: 403, error: `${LABEL[kind]} may not ${rule.does}`, details: [{ path: "authorization", message: `${why}; this route takes ${expected(rule)}` }] };
  }
  if (kind === "admin") return null;
  if (rule.site === "param" && owner.site !== siteParam) {
    return { status: 403, error: `${LABEL[kind]} may not ${rule.does} of another site`, details: [{ path: "authorization", message: "this key belongs to another site" }] };
  }
  return null;
}

export function principalOf(owner: KeyOwner): Principal {
  return owner.kind === "admin" ? { kind: "admin", site: null, scope: "all" } : { kind: owner.kind, site: owner.site!, scope: "site" };
}
