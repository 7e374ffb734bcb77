/**
 * Segment-compatible HTTP Tracking API: POST /v1/batch and /v1/{track,page,screen,identify,
 * alias,group}. Write key by HTTP Basic auth (or `writeKey` in the body). Each message is
 * mapped (lib/segment.ts), validated and enriched by the shared pipeline (ingest.ts), and the
 * records are stored with one call per user object.
 *
 * Answers follow what Segment's and RudderStack's clients expect: 200 {"success": true, ...}
 * when anything was taken (rejected messages and ignored fields are listed, not retried);
 * 400 for a request that cannot be used (the clients never retry a 400); 401/403 for keys;
 * 5xx only when storing failed, which the clients retry, and message ids make that safe.
 */
import { Hono, type Context } from "hono";
import type { StoredRecord } from "../../schemas";
import { ownerOf, prepare, store, trustedEnvelope } from "../ingest";
import { parseJson } from "../lib/body";
import { matchKey, writeKeyOf } from "../lib/keys";
import { locationAsCf, mapMessage, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES, SEGMENT_TYPES, translatePath, type SegmentType } from "../lib/segment";
import { readSegmentBody } from "../lib/segment-body";
import { refuse, type Reason } from "../answers";
import type { FieldError } from "../lib/validate";
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

const ROUTE = `/:kind{batch|${SEGMENT_TYPES.join("|")}}`;
// Browser keys send Authorization, which makes every request non-simple: preflights for any origin some site allows.
segment.use(ROUTE, siteCors({ methods: ["POST", "OPTIONS"], headers: ["Authorization", "Content-Type", "Content-Encoding"] }));
// access(): the admin token and read keys may not send (403); write keys are checked below.
segment.post(ROUTE, access("segment.write"), async (c) => {
  const receivedMs = Date.now();
  const kind = c.req.param("kind") as "batch" | SegmentType;
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
  const wk = writeKeyOf(c.req.header("authorization"), doc.writeKey);
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
  const rejected: { index: number; messageId: string | null; errors: FieldError[] }[] = [];
  await Promise.all(
    messages.map(async (raw, index) => {
      const msg = batchContext && raw && typeof raw === "object" && !Array.isArray(raw) ? { ...(raw as Json), context: { ...batchContext, ...((raw as Json).context as Json | undefined) } } : raw;
      const m = await mapMessage(msg, { site: site.id, kind: key.kind, receivedMs, batchSentAt: doc.sentAt, endpointType: isBatch ? undefined : kind, requestUserAgent: c.req.header("user-agent") ?? null });
      if (!m.ok) return void rejected.push({ index, messageId: m.messageId, errors: m.errors });
      if (m.ignored.length) ignored.push({ index, messageId: m.messageId, fields: m.ignored });
      const cf = key.kind === "server" ? locationAsCf(m.location) : facts.cf;
      // A server key's userId is the site's own word; a browser key's goes through the site's
      // identity policy like /v1/collect (Segment messages carry no signature, so a site that
      // requires signed ids keeps browser-key events under the anonymous id, "unverified").
      const who = key.kind === "server" ? { envelope: m.envelope, identity: m.envelope.user_id ? ("verified" as const) : ("none" as const) } : await trustedEnvelope(c.env, m.envelope, m.envelope.user_id ?? null);
      m.envelope = who.envelope;
      const p = prepare(m.envelope, { ...facts, cf, userAgent: m.userAgent }, who.identity);
      if (p.rejected.length) return void rejected.push({ index, messageId: m.messageId, errors: p.rejected.flatMap((r) => r.errors.map((e) => ({ ...e, path: translatePath(e.path, m.paths) }))) });
      const owner = ownerOf(m.envelope);
      const list = byOwner.get(owner);
      if (list) list.push(...p.records);
      else byOwner.set(owner, [...p.records]);
    }),
  );
  rejected.sort((a, b) => a.index - b.index);
  ignored.sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
  // Bad rows are kept in rejected/ like /v1/collect's, off the answer's path.
  if (rejected.length) {
    const rows = rejected.map((r) => rejectedRow(site.id, receivedMs, "invalid_event", { index: r.index, id: r.messageId, errors: r.errors }, messages[r.index]));
    c.executionCtx.waitUntil(keepRejected(c.env, site.id, rows));
  }

  // One call per user object, in parallel; any failure is a 500 the clients retry.
  const results = await Promise.allSettled([...byOwner].map(([owner, records]) => store(c.env, site.id, owner, records)));
  const failure = results.find((r) => r.status === "rejected");
  if (failure) throw (failure as PromiseRejectedResult).reason;
  let accepted = 0;
  let duplicates = 0;
  for (const r of results) if (r.status === "fulfilled") (accepted += r.value.accepted), (duplicates += r.value.duplicates);

  const report = { accepted, duplicates, rejected, ignored: ignored.slice(0, MAX_IGNORED_ENTRIES), ...(ignored.length > MAX_IGNORED_ENTRIES ? { ignored_truncated: ignored.length - MAX_IGNORED_ENTRIES } : {}) };
  if (accepted + duplicates === 0) {
    const prefix = (i: number) => (isBatch ? `batch[${i}].` : "");
    const details = rejected.flatMap((r) => r.errors.map((e) => ({ path: e.path === "(root)" ? prefix(r.index).slice(0, -1) || "(root)" : prefix(r.index) + e.path, message: e.message })));
    return fail(c, 400, "invalid_event", isBatch ? "no valid messages" : "invalid message", details, report);
  }
  return c.json({ success: true, ...report }, 200);
});

function unauthorized(c: Context, message: string) {
  c.header("WWW-Authenticate", 'Basic realm="collector"');
  return fail(c, 401, "unauthorized", message, [{ path: "authorization", message }]);
}
