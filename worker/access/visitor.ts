/**
 * A browser without any key reading its own visitor's recommendations (docs/SECURITY.md,
 * "Visitor reads"). Pure rules; the glue is in ./index.ts.
 *
 * The id in the path is a capability: an anonymous id is a random value only that browser
 * holds, so knowing it is what proves "my visitor". A user id is not secret (it is often a
 * number or an e-mail), so reading by user id needs `?sig=` = hex HMAC-SHA256(identity_secret,
 * user_id), made by the site's backend (the same as `user_id_sig`, worker/lib/identity.ts).
 * Whether an id without `sig` is really an anonymous id is only known from the person's object,
 * so the route checks that with `visitorReadDenied` after its one read of that object.
 */
import type { Denial, Principal } from "./decide";

export type SigCheck = "absent" | "valid" | "invalid" | "no-secret";

export interface VisitorFacts {
  site: string;
  id: string;
  siteKnown: boolean;
  originAllowed: boolean;
  sig: SigCheck;
}

export function decideVisitor(f: VisitorFacts): Denial | Principal {
  if (!f.siteKnown) return { status: 404, error: "unknown site", details: [{ path: "site", message: `no site "${f.site.slice(0, 64)}" is configured` }] };
  if (!f.originAllowed) return { status: 403, error: "origin not allowed", details: [{ path: "origin", message: `this origin may not read recommendations of site ${f.site}` }] };
  if (f.sig === "no-secret") return { status: 403, error: "user ids cannot be verified for this site", details: [{ path: "sig", message: "the site has no identity_secret; read by anonymous id, or from your server with a read key" }] };
  if (f.sig === "invalid") return { status: 403, error: "invalid sig", details: [{ path: "sig", message: "expected hex HMAC-SHA256(identity_secret, id) of the id in the path" }] };
  return { kind: "visitor", site: f.site, scope: { id: f.id, by: f.sig === "valid" ? "user_id" : "anonymous_id" } };
}

/**
 * For the route, after reading the person's object: a visitor who came by anonymous id may not
 * read an object that belongs to a user id (its profile's user_id is the id in the path): that
 * needs `sig`. `profileUserId` is the user id of the object read (null when it has none or
 * there is no profile). Null: allowed.
 */
export function visitorReadDenied(principal: Principal | undefined, profileUserId: string | null | undefined): Denial | null {
  if (principal?.kind !== "visitor" || principal.scope.by === "user_id") return null;
  if (profileUserId && profileUserId === principal.scope.id) return { status: 403, error: "this id is a user id", details: [{ path: "sig", message: "reading a user's recommendations from the browser needs ?sig=<hex HMAC-SHA256(identity_secret, user_id)>" }] };
  return null;
}

/** The fields a visitor's answer may hold: no profile fields, whatever the route put in. */
const TOP = ["site", "id", "strategy", "generated_at", "items"] as const;
const ITEM = ["product_id", "score", "reasons", "title", "url", "image", "price", "currency", "category", "brand", "available"] as const;

/**
 * A recommendations answer cut down to what a visitor may see: the list's own fields, and per
 * item the product id, score, reasons and catalogue fields. Anything else (a profile, cart,
 * searches, geo, device) is dropped, so a later change to the full answer cannot leak it.
 */
export function visitorView(answer: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TOP) if (k in answer && k !== "items") out[k] = answer[k];
  const items = Array.isArray(answer.items) ? answer.items : [];
  out.items = items.filter((i): i is Record<string, unknown> => !!i && typeof i === "object").map((i) => {
    const o: Record<string, unknown> = {};
    for (const k of ITEM) if (k in i) o[k] = k === "reasons" ? (Array.isArray(i[k]) ? (i[k] as unknown[]).filter((r) => typeof r === "string") : []) : i[k];
    return o;
  });
  return out;
}
