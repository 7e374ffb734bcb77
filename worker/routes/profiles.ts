/**
 * Profiles (who may call what: worker/access/table.ts):
 *   GET    /v1/profiles/:site/:id          the rolling profile, straight from the user's object (admin, read key)
 *   GET    /v1/profiles/:site/:id/stream   live updates: Server-Sent Events, or WebSocket on Upgrade (admin, read key)
 *   GET    /v1/profiles/:site/:id/export   everything held about the person (admin)
 *   DELETE /v1/profiles/:site/:id          erase the person (and write a deletion record to the lake) (admin)
 */
import { Hono, type Context } from "hono";
import { access } from "../access";
import { sites } from "../sites";
import { profileStub } from "../../durable-objects/stub";
import { unknownSite } from "../answers";


export const profiles = new Hono<{ Bindings: Env }>();

/** The object for :site/:id, or an answer naming what is wrong with them. */
function target(c: Context<{ Bindings: Env }>) {
  const { site, id } = c.req.param() as { site: string; id: string };
  if (!sites(c.env).get(site)) return { error: unknownSite(c, site, "read") };
  if (id.length > 128) return { error: c.json({ error: "id is longer than 128 characters", details: [{ path: "id", message: "at most 128 characters" }] }, 400) };
  return { site, id, stub: profileStub(c.env, site, id) };
}

profiles.get("/:site/:id", access("profiles.read"), async (c) => {
  const t = target(c);
  if ("error" in t) return t.error;
  const profile = await t.stub.getProfile();
  if (!profile) return c.json({ error: "no profile for this id" }, 404);
  return c.json(profile);
});

profiles.get("/:site/:id/stream", access("profiles.stream"), async (c) => {
  const t = target(c);
  if ("error" in t) return t.error;
  const upgrade = c.req.header("upgrade");
  if (upgrade && upgrade.toLowerCase() !== "websocket") return c.json({ error: "only WebSocket upgrades are supported", details: [{ path: "upgrade", message: "expected websocket" }] }, 426);
  // The object owns its subscribers; the original request (and its Upgrade) goes to it as is.
  const url = `https://profile/stream?site=${encodeURIComponent(t.site)}&id=${encodeURIComponent(t.id)}`;
  return t.stub.fetch(new Request(url, { headers: c.req.raw.headers }));
});

profiles.get("/:site/:id/export", access("profiles.export"), async (c) => {
  const t = target(c);
  if ("error" in t) return t.error;
  const doc = await t.stub.exportAll(t.site, t.id);
  if (!doc) return c.json({ error: "nothing is held for this id" }, 404);
  c.header("content-disposition", `attachment; filename="profile-${t.site}-${encodeURIComponent(t.id)}.json"`);
  return c.json(doc);
});

profiles.delete("/:site/:id", access("profiles.erase"), async (c) => {
  const t = target(c);
  if ("error" in t) return t.error;
  const res = await t.stub.erase(t.site, t.id);
  if (!res) return c.json({ error: "nothing is held for this id" }, 404);
  return c.json({ erased: true, ...res });
});
