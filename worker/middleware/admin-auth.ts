/** Bearer admin token, compared in constant time. Never logged. */
import type { MiddlewareHandler } from "hono";
import type { Env } from "../env";

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
  if (!expected || !m || !(await tokenMatches(m[1]!.trim(), expected))) {
    c.header("WWW-Authenticate", 'Bearer realm="collector"');
    return c.json({ error: expected ? "missing or wrong admin token" : "admin token is not configured (set the ADMIN_TOKEN secret)" }, 401);
  }
  await next();
};
