/**
 * Abuse limits with the Workers rate-limiting binding (also runs locally): per client IP and
 * site before the body is read, and per site once the envelope names it. The IP is only
 * hashed into a limiter key, never stored or logged.
 */
import type { Context } from "hono";
import { sha256Hex } from "../../durable-objects/lib/hash";
import { refuse } from "../answers";

/** Must match the `period` of the [[ratelimits]] bindings in wrangler.toml. */
export const RATE_PERIOD_SECONDS = 60;

const hashKey = (s: string) => sha256Hex(s, 24);

export type Limited = { path: "ip" | "site"; message: string } | null;

/** Per client IP (when the platform tells it); requests without one are not IP-limited. */
export async function limitByIp(env: Env, req: Request): Promise<Limited> {
  const ip = req.headers.get("cf-connecting-ip");
  if (!ip || !env.IP_LIMITER) return null;
  const { success } = await env.IP_LIMITER.limit({ key: await hashKey(`ip:${ip}`) });
  return success ? null : { path: "ip", message: "too many requests from this client" };
}

export async function limitBySite(env: Env, site: string): Promise<Limited> {
  if (!env.SITE_LIMITER) return null;
  const { success } = await env.SITE_LIMITER.limit({ key: `site:${site}` });
  return success ? null : { path: "site", message: `site ${site} is over its request rate` };
}

export function tooMany(c: Context, why: NonNullable<Limited>) {
  c.header("Retry-After", String(RATE_PERIOD_SECONDS));
  return refuse(c, 429, "rate_limited", "rate limited", [why]);
}
