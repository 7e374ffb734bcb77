/**
 * GET /v1/recommendations/:site/:id/stream?limit=&context=&category=&exclude=[&sig=]
 * Server-Sent Events: a `recommendations` frame with the same body as GET
 * /v1/recommendations/:site/:id first, then again whenever the list changes (after the
 * person's own events, and after a merge on sign-in: the stream follows the user).
 * Who: the admin token, the site's read keys, or a page of the site without a key for its own
 * visitor (worker/access/table.ts, "recommendations.read"); a visitor's frames carry no profile
 * fields (visitorView). The machinery (hibernatable WebSocket to the person's object, coalesced
 * recomputation, frames only on change) is worker/recs/live.ts.
 */
import { Hono } from "hono";
import { profileStub } from "../../durable-objects/stub";
import { log } from "../../durable-objects/lib/log";
import { access, visitorDenied, visitorView } from "../access";
import { refuse, unknownSite } from "../answers";
import { liveStream, SSE_HEADERS } from "../recs/live";
import { parseRecQuery } from "../recs/query";
import { recommend, recommendFor, waitUntilOf, type Recommendations } from "../recs/recommend";
import { sites } from "../sites";

export const recommendationStream = new Hono<{ Bindings: Env }>();

recommendationStream.get("/:site/:id/stream", access("recommendations.read"), async (c) => {
  const { site, id } = c.req.param();
  if (!sites(c.env).get(site)) return unknownSite(c, site, "read");
  if (id.length > 128) return refuse(c, 400, "bad_request", "id is longer than 128 characters", [{ path: "id", message: "at most 128 characters" }]);
  const q = parseRecQuery(new URL(c.req.url).searchParams);
  if (!q.ok) return refuse(c, 400, "bad_request", "invalid query", q.details);

  // The first list, and with it the user id of the object read: a visitor without sig may
  // read an anonymous id (also one merged into a user since), not a user id.
  const visitor = c.get("principal")?.kind === "visitor";
  const view = (r: Recommendations) => (visitor ? (visitorView({ ...r }) as unknown as Recommendations) : r);
  const waitUntil = waitUntilOf(c);
  const first = await recommendFor(c.env, site, id, q.value, undefined, waitUntil);
  const denied = visitorDenied(c, first.userId);
  if (denied) return denied;
  const body = liveStream(
    {
      open: async () => {
        const res = await profileStub(c.env, site, id).fetch(new Request(`https://profile/stream?site=${encodeURIComponent(site)}&id=${encodeURIComponent(id)}`, { headers: { Upgrade: "websocket" } }));
        if (!res.webSocket) throw new Error(`the profile object answered ${res.status}`);
        return res.webSocket;
      },
      compute: async () => view(await recommend(c.env, site, id, q.value, undefined, waitUntil)),
      onError: (what, err) => log("recommendation stream ended", { site, what, error: err instanceof Error ? err.message : String(err) }),
    },
    { signal: c.req.raw.signal, first: view(first.recommendations) },
  );
  return c.body(body, 200, { ...SSE_HEADERS });
});
