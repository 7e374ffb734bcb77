/** POST /v1/collect: read (64 KiB) -> parse -> site/origin -> validate -> enrich -> user's object -> 202. */
import { Hono } from "hono";
import { MAX_BODY_BYTES } from "../../schemas";
import { readLimitedText, parseJson } from "../lib/body";
import { parseEnvelope } from "../lib/validate";
import { ingestEnvelope } from "../ingest";
import { keepRejected, rejectedRow } from "../rejections";
import { answer, refuse, unknownSite } from "../answers";
import { siteCors, withdrawOrigin } from "../middleware/cors";
import { limitByIp, limitBySite, tooMany } from "../middleware/rate-limit";
import { sites } from "../sites";

export const collect = new Hono<{ Bindings: Env }>();

// Browsers may read answers (errors too) from any origin some site allows; checked per site below.
collect.use("/", siteCors({ methods: ["POST", "OPTIONS"], headers: ["Content-Type"] }));

collect.post("/", async (c) => {
  const receivedMs = Date.now();
  const origin = c.req.header("origin") ?? null;
  const reg = sites(c.env);

  const byIp = await limitByIp(c.env, c.req.raw);
  if (byIp) return tooMany(c, byIp);

  const body = await readLimitedText(c.req.raw, MAX_BODY_BYTES);
  if (!body.ok) return refuse(c, body.status, body.status === 413 ? "too_large" : body.status === 415 ? "unsupported_media_type" : "bad_request", body.error, [{ path: "(body)", message: body.error }]);
  const json = parseJson(body.text);
  if (!json.ok) return refuse(c, 400, "not_json", json.error, [{ path: "(body)", message: json.error }]);

  const claimed = (json.value as { site?: unknown } | null)?.site;
  if (typeof claimed === "string" && !reg.get(claimed)) return unknownSite(c, claimed, "write");
  if (typeof claimed === "string") c.set("site", claimed); // for metrics and the request log

  const defer = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  const env = parseEnvelope(json.value);
  if (!env.ok) {
    if (typeof claimed === "string") defer(keepRejected(c.env, claimed, [rejectedRow(claimed, receivedMs, "invalid_envelope", { index: null, id: null, errors: env.details }, body.text, json.value as object)]));
    return refuse(c, 400, "invalid_envelope", "invalid envelope", env.details);
  }
  const site = reg.get(env.envelope.site)!;
  if (origin && !site.allows(origin)) {
    withdrawOrigin(c);
    return refuse(c, 403, "origin_not_allowed", "origin not allowed", [{ path: "origin", message: `${origin.slice(0, 120)} may not send to site ${site.id}` }]);
  }
  const bySite = await limitBySite(c.env, site.id);
  if (bySite) return tooMany(c, bySite);

  const out = await ingestEnvelope(c.env, env.envelope, { receivedMs, userAgent: c.req.header("user-agent") ?? null, cf: c.req.raw.cf }, { defer });
  if (out.accepted === 0 && out.duplicates === 0 && out.rejected.length > 0) {
    const details = out.rejected.flatMap((r) => r.errors.map((e) => ({ path: `events[${r.index}].${e.path}`, message: e.message })));
    return refuse(c, 400, "invalid_event", "no valid events", details, { ...out });
  }
  return answer(c, { ...out }, 202);
});
