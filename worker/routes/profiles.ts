/** GET /v1/profiles/:site/:id — the rolling profile, straight from the user's object. */
import { Hono } from "hono";
import type { Env } from "../env";
import { adminAuth } from "../middleware/admin-auth";
import { sites } from "../sites";

/** One object per (site, user id or anonymous id). */
export function profileStub(env: Env, site: string, id: string) {
  return env.PROFILES.get(env.PROFILES.idFromName(`${site}:${id}`));
}

export const profiles = new Hono<{ Bindings: Env }>();

profiles.use("*", adminAuth);

profiles.get("/:site/:id", async (c) => {
  const { site, id } = c.req.param();
  if (!sites(c.env).get(site)) return c.json({ error: "unknown site" }, 404);
  if (id.length > 128) return c.json({ error: "id is longer than 128 characters" }, 400);
  const profile = await profileStub(c.env, site, id).getProfile();
  if (!profile) return c.json({ error: "no profile for this id" }, 404);
  return c.json(profile);
});
