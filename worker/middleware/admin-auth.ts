/** Bearer admin token, compared in constant time. Never logged. */
import type { MiddlewareHandler } from "hono";
import { matchKey, writeKeyOf } from "../lib/keys";
import { siteKeys } from "../sites";

const enc = new TextEncoder();

export async function tokenMatches(given: string, expected: string): Promise<boolean> {
  // Hash first so both sides have the same length; timingSafeEqual needs that.
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", enc.encode(given)), crypto.subtle.digest("SHA-256", enc.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export const adminAuth: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  const header = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(header);
  const given = m?.[1]!.trim() ?? writeKeyOf(header, undefined);
  if (typeof given === "string" && expected && (await tokenMatches(given, expected))) return next();
  // A site's write key is known but may only send events: forbidden, not unauthenticated.
  const key = typeof given === "string" ? given : "key" in given ? given.key : null;
  if (key && (await matchKey(await siteKeys(c.env), key))) {
    return c.json({ error: "a site key may only send events", details: [{ path: "authorization", message: "reading profiles and the lake needs the admin token" }] }, 403);
  }
  c.header("WWW-Authenticate", 'Bearer realm="collector"');
  return c.json({ error: expected ? "missing or wrong admin token" : "admin token is not configured (set the ADMIN_TOKEN secret)", details: [{ path: "authorization", message: "expected Authorization: Bearer <admin token>" }] }, 401);
};
