/**
 * Segment-compatible HTTP Tracking API: POST /v1/batch and /v1/{track,page,screen,identify,
 * alias,group}, and the short paths analytics.js posts to (/v1/b, /v1/t, /v1/p, /v1/s, /v1/i,
 * /v1/a, /v1/g: the same handling), also mounted at /beacon/v1 for RudderStack's beacon transport
 * (POST /beacon/v1/batch?writeKey=). Write key by HTTP Basic auth (or `writeKey` in the body or query). Each message is
 * mapped (lib/segment.ts), validated and enriched by the shared pipeline (ingest.ts), and the
 * records are stored with one call per user object.
 *
 * Answers follow what Segment's and RudderStack's clients expect: 200 {"success": true, ...}
 * when anything was taken (rejected messages and ignored fields are listed, not retried);
 * 400 for a request that cannot be used (the clients never retry a 400); 401/403 for keys;
 * 5xx only when storing failed, which the clients retry, and message ids make that safe.
 */
import { Hono, type Context } from "hono";
import type { Envelope, StoredRecord } from "../../schemas";
import { ownerOf, prepare, store, trustedEnvelope } from "../ingest";
import { parseJson } from "../lib/body";
import { matchKey, writeKeyOf } from "../lib/keys";
import { locationAsCf, mapMessage, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, SEGMENT_TYPES, translatePath, type SegmentType } from "../lib/segment";
import { readSegmentBody } from "../lib/segment-body";
import { answer, refuse, type Reason } from "../answers";
import type { FieldError } from "../lib/validate";
import { SDK_REQUEST_HEADERS } from "../lib/sdk-cors";
import { access } from "../access";
import { siteCors, withdrawOrigin } from "../middleware/cors";
import { limitByIp, limitBySite, tooMany } from "../middleware/rate-limit";
import { keepRejected, rejectedRow } from "../rejections";
import { siteKeys, sites } from "../sites";

export const segment = new Hono<{ Bindings: Env }>();

const BATCH_FIELDS = new Set(["batch", "sentAt", "writeKey", "context", "integrations", "timestamp"]);
const MAX_IGNORED_ENTRIES = 100;

type Json = Record<string, unknown>;
/** Segment's answers carry `success: false`; the reason is for the metrics (answers.ts). */
const fail = (c: Context, status: 400 | 401 | 403, reason: Reason, error: string, details: FieldError[], extra: Json = {}) => refuse(c, status, reason, error, details, { success: false, ...extra });

/**
 * analytics.js posts each call to /v1/<first letter of its type>, batches to /v1/b. A route of
 * its own with a character class: single letters in the alternation of ROUTE would match any
 * path containing them under routers that do not group a parameter's pattern.
 */
const SHORT: Record<string, "batch" | SegmentType> = { b: "batch", t: "track", p: "page", s: "screen", i: "identify", a: "alias", g: "group" };
const ROUTE = `/:kind{batch|${SEGMENT_TYPES.join("|")}}`;
const SHORT_ROUTE = `/:kind{[${Object.keys(SHORT).join("")}]}`;
for (const route of [ROUTE, SHORT_ROUTE]) {
  // Browser keys send Authorization, which makes every request non-simple: preflights for any
  // origin some site allows, with the headers the browser SDKs ask for (lib/sdk-cors.ts).
  segment.use(route, siteCors({ methods: ["POST", "OPTIONS"], headers: [...SDK_REQUEST_HEADERS] }));
  // access(): the admin token and read keys may not send (403); write keys are checked below.
  segment.post(route, access("segment.write"), (c) => send(c));
}

async function send(c: Context<{ Bindings: Env }>) {
  const receivedMs = Date.now();
  const param = c.req.param("kind") as string;
  const kind = SHORT[param] ?? (param as "batch" | SegmentType);
  const isBatch = kind === "batch";
  const origin = c.req.header("origin") ?? null;

  const byIp = await limitByIp(c.env, c.req.raw);
  if (byIp) return tooMany(c, byIp);

  const body = await readSegmentBody(c.req.raw, isBatch ? MAX_BATCH_BYTES : MAX_MESSAGE_BYTES);
  if (!body.ok) return fail(c, 400, body.reason, body.error, [{ path: "(body)", message: body.error }]);
  const json = parseJson(body.text);
  if (!json.ok) return fail(c, 400, "not_json", json.error, [{ path: "(body)", message: json.error }]);
  if (!json.value || typeof json.value !== "object" || Array.isArray(json.value)) return fail(c, 400, "invalid_envelope", "body must be a JSON object", [{ path: "(root)", message: "expected an object" }]);
  const doc = json.value as Json;

  // Who is sending: the write key names the site and what the sender may do.
  // RudderStack's beacon transport (useBeacon) names the key in the query: /beacon/v1/batch?writeKey=.
  const wk = writeKeyOf(c.req.header("authorization"), doc.writeKey ?? c.req.query("writeKey"));
  if ("error" in wk) return unauthorized(c, wk.error);
  const key = await matchKey(await siteKeys(c.env), wk.key);
  if (!key) return unauthorized(c, "unknown write key");
  const site = sites(c.env).get(key.site)!;
  c.set("site", site.id); // for metrics and the request log
  const bySite = await limitBySite(c.env, site.id);
  if (bySite) return tooMany(c, bySite);
  if (key.kind === "browser") {
    if (!origin) return fail(c, 403, "origin_not_allowed", "a browser key is only accepted from the site's origins", [{ path: "origin", message: "missing Origin header; servers use a server key" }]);
    if (!site.allows(origin)) {
      withdrawOrigin(c);
      return fail(c, 403, "origin_not_allowed", "origin not allowed", [{ path: "origin", message: `${origin.slice(0, 120)} may not send to site ${site.id}` }]);
    }
  }

  // What: a batch, or one message.
  let messages: unknown[];
  const ignored: { index: number | null; messageId?: string | null; fields: string[] }[] = [];
  let batchContext: Json | undefined;
  if (isBatch) {
    if (!Array.isArray(doc.batch)) return fail(c, 400, "invalid_envelope", "invalid batch", [{ path: "batch", message: "expected an array of messages" }]);
    if (doc.batch.length === 0) return fail(c, 400, "invalid_envelope", "invalid batch", [{ path: "batch", message: "expected at least one message" }]);
    messages = doc.batch;
    const extra = Object.keys(doc).filter((k) => !BATCH_FIELDS.has(k));
    if (extra.length) ignored.push({ index: null, fields: extra });
    if (doc.context && typeof doc.context === "object" && !Array.isArray(doc.context)) batchContext = doc.context as Json;
  } else {
    messages = [doc];
  }

  const facts = { receivedMs, cf: c.req.raw.cf, serverKey: key.kind === "server", scrubParams: site.scrub_params };
  const byOwner = new Map<string, StoredRecord[]>();
  // The consent a user's messages state; the last one in the request's order wins.
  const consentOf = new Map<string, { index: number; consent: Envelope["consent"] }>();
  const rejected: { index: number; messageId: string | null; errors: FieldError[] }[] = [];
  await Promise.all(
    messages.map(async (raw, index) => {
      const msg = batchContext && raw && typeof raw === "object" && !Array.isArray(raw) ? { ...(raw as Json), context: { ...batchContext, ...((raw as Json).context as Json | undefined) } } : raw;
      const m = await mapMessage(msg, { site: site.id, kind: key.kind, receivedMs, batchSentAt: doc.sentAt, endpointType: isBatch ? undefined : kind, requestUserAgent: c.req.header("user-agent") ?? null, consentCategories: site.consent_categories });
      if (!m.ok) return void rejected.push({ index, messageId: m.messageId, errors: m.errors });
      if (m.ignored.length) ignored.push({ index, messageId: m.messageId, fields: m.ignored });
      const cf = key.kind === "server" ? locationAsCf(m.location) : facts.cf;
      // A server key's userId is the site's own word; a browser key's goes through the site's
      // identity policy like /v1/collect, with the signature the message carries, if any
      // (lib/segment-identity.ts): unsigned or wrongly signed ids on a site that requires
      // signatures leave the events under the anonymous id, "unverified".
      const who = key.kind === "server" ? { envelope: m.envelope, identity: m.envelope.user_id ? ("verified" as const) : ("none" as const) } : await trustedEnvelope(c.env, m.envelope, m.envelope.user_id ?? null);
      m.envelope = who.envelope;
      const p = prepare(m.envelope, { ...facts, cf, userAgent: m.userAgent }, who.identity);
      if (p.rejected.length) return void rejected.push({ index, messageId: m.messageId, errors: p.rejected.flatMap((r) => r.errors.map((e) => ({ ...e, path: translatePath(e.path, m.paths) }))) });
      const owner = ownerOf(m.envelope);
      const stated = m.envelope.consent;
      if (stated && (consentOf.get(owner)?.index ?? -1) < index) consentOf.set(owner, { index, consent: stated });
      const list = byOwner.get(owner);
      if (list) list.push(...p.records);
      else byOwner.set(owner, [...p.records]);
    }),
  );
  rejected.sort((a, b) => a.index - b.index);
  ignored.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  // Bad rows are kept in rejected/ like /v1/collect's, off the answer's path.
  if (rejected.length) {
    const rows = rejected.map((r) => {
      const m = (messages[r.index] && typeof messages[r.index] === "object" ? messages[r.index] : {}) as Json;
      return rejectedRow(site.id, receivedMs, "invalid_event", { index: r.index, id: r.messageId, errors: r.errors }, messages[r.index], { anonymous_id: m.anonymousId ?? m.userId, user_id: m.userId });
    });
    c.executionCtx.waitUntil(keepRejected(c.env, site.id, rows));
  }

  // One call per user object, in parallel; any failure is a 500 the clients retry.
  const results = await Promise.allSettled([...byOwner].map(([owner, records]) => store(c.env, site.id, owner, records, consentOf.get(owner)?.consent, facts.serverKey)));
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
  let accepted = 0;
  let duplicates = 0;
  for (const r of results) if (r.status === "fulfilled") (accepted += r.value.accepted), (duplicates += r.value.duplicates);

  const report = { accepted, duplicates, rejected, ignored: ignored.slice(0, MAX_IGNORED_ENTRIES), ...(ignored.length > MAX_IGNORED_ENTRIES ? { ignored_truncated: ignored.length - MAX_IGNORED_ENTRIES } : {}) };
  // 400 only when no message was usable; events dropped by a consent denial are not refusals.
  if (rejected.length === messages.length) {
    const prefix = (i: number) => (isBatch ? `batch[${i}].` : "");
    const details = rejected.flatMap((r) => r.errors.map((e) => ({ path: e.path === "(root)" ? prefix(r.index).slice(0, -1) || "(root)" : prefix(r.index) + e.path, message: e.message })));
    return fail(c, 400, "invalid_event", isBatch ? "no valid messages" : "invalid message", details, report);
  }
  return answer(c, { success: true, ...report }, 200);
}

function unauthorized(c: Context, message: string) {
  c.header("WWW-Authenticate", 'Basic realm="collector"');
  return fail(c, 401, "unauthorized", message, [{ path: "authorization", message }]);
}
