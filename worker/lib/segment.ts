/**
 * Segment (and RudderStack) HTTP Tracking API messages -> the collector's envelope + event.
 * Pure: no bindings, no I/O (ids are hashed with WebCrypto). One message becomes one envelope
 * with one event, so each message keeps its own context, time and user; the route groups the
 * resulting records by user so every user's object is called once per request.
 *
 * Every field that is read is listed in `paths` (collector path -> Segment path), so
 * validation errors name the field the sender wrote; every property that has no place in the
 * collector's event type is listed in `ignored` (nothing is dropped silently).
 */
import { contextSchema, envelopeSchema, eventId, parseTime, SEGMENT_BROWSER_MAX_AGE_MS, type Context, type Envelope, type EventType } from "../../schemas";
import { sha256Hex } from "../../durable-objects/lib/hash";
import type { KeyKind } from "./keys";
import { sdkConsent } from "./sdk-consent";
import { customProps, idString, isObj, pageEvent, trackEvent, type Obj } from "./segment-events";
import { signatureOf, withoutSignature } from "./segment-identity";
import { toFieldErrors, type FieldError } from "./validate";

export { ECOMMERCE_EVENTS, flatten } from "./segment-events";

export const SEGMENT_TYPES = ["track", "page", "screen", "identify", "alias", "group"] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/** Segment's limits: 32 KB per message, 500 KB per batch request. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/** A browser key may not backdate: an event more than this before its sentAt is refused (schemas/time.ts). */
export const MAX_BROWSER_AGE_MS = SEGMENT_BROWSER_MAX_AGE_MS;

/** Message fields that are read, or known and deliberately not stored (never reported). */
const KNOWN_FIELDS = new Set([
  "type", "messageId", "anonymousId", "userId", "event", "properties", "traits", "context", "timestamp",
  "originalTimestamp", "sentAt", "name", "category", "previousId", "groupId",
  "integrations", "receivedAt", "version", "channel", "_metadata", "writeKey", "options",
  // RudderStack's JavaScript SDK
  "rudderId", "request_ip",
]);

export interface MapOptions {
  site: string;
  kind: KeyKind;
  receivedMs: number;
  /** The batch's own sentAt, used when a message has none. */
  batchSentAt?: unknown;
  /** The type named by a single-message endpoint (/v1/track ...); the body's own `type` is then ignored. */
  endpointType?: SegmentType;
  /** Request user agent (used for browser keys; servers name the user's in context.userAgent). */
  requestUserAgent?: string | null;
  /** The site's `consent_categories` (lib/sdk-consent.ts); unset: any granted category grants. */
  consentCategories?: readonly string[] | undefined;
}

/** The parts of `request.cf` that a server can state about its user (context.location). */
export interface StatedLocation {
  country?: string;
  region?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
  timezone?: string;
}

export interface MappedMessage {
  ok: true;
  messageId: string | null;
  envelope: Envelope;
  /** For enrichment: whose user agent and which location to use. */
  userAgent: string | null;
  location: StatedLocation | null;
  /** collector path (props.product_id) -> Segment path (properties.sku). */
  paths: Record<string, string>;
  ignored: string[];
}
export interface RejectedMessage {
  ok: false;
  messageId: string | null;
  errors: FieldError[];
}


const enc = new TextEncoder();
const hashId = async (s: string): Promise<string> => "h:" + (await sha256Hex(s, 40));

/**
 * The event id: messageId when it fits the collector's id rule; otherwise a hash of it; and
 * without a messageId, a hash of the whole message, so a re-sent identical message dedups.
 */
export async function eventIdOf(msg: Obj): Promise<string> {
  const m = idString(msg.messageId);
  if (typeof m === "string" && m.length > 0) return eventId.safeParse(m).success ? m : hashId(`m:${m}`);
  return hashId(`c:${JSON.stringify(msg)}`);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const isIso = (v: unknown): v is string => typeof v === "string" && ISO.test(v) && parseTime(v) !== null;

/** Segment's context -> the collector's context; fields that fail its schema are reported. */
function mapContext(ctx: Obj, page: Obj | undefined, ignored: string[]): Context {
  const ctxPage = isObj(ctx.page) ? ctx.page : {};
  const screen = isObj(ctx.screen) ? ctx.screen : undefined;
  const candidates: [keyof Context, unknown, string][] = [
    ["page_url", page?.url ?? ctxPage.url, page?.url !== undefined ? "properties.url" : "context.page.url"],
    ["referrer", page?.referrer ?? ctxPage.referrer, page?.referrer !== undefined ? "properties.referrer" : "context.page.referrer"],
    ["title", ctxPage.title, "context.page.title"],
    ["locale", ctx.locale, "context.locale"],
    ["timezone", ctx.timezone, "context.timezone"],
    ["screen", screen ? { w: screen.width, h: screen.height } : undefined, "context.screen"],
  ];
  const out: Obj = {};
  for (const [k, v, from] of candidates) {
    if (v === undefined || v === null) continue;
    const r = contextSchema.shape[k].safeParse(v);
    if (r.success) out[k] = r.data;
    else ignored.push(from);
  }
  return out as Context;
}

function mapLocation(ctx: Obj): StatedLocation | null {
  const loc = isObj(ctx.location) ? ctx.location : undefined;
  const out: StatedLocation = {};
  const s = (v: unknown) => (typeof v === "string" && v ? v.slice(0, 128) : undefined);
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  if (loc) {
    out.country = s(loc.country);
    out.region = s(loc.region);
    out.city = s(loc.city);
    out.latitude = n(loc.latitude);
    out.longitude = n(loc.longitude);
  }
  out.timezone = s(ctx.timezone);
  const defined = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as StatedLocation;
  return Object.keys(defined).length ? defined : null;
}

const ENVELOPE_PATHS: Record<string, string> = { sent_at: "sentAt", session_id: "context.sessionId" };

/** An id as sent (numbers as decimal strings); null, undefined and "" are absent. */
const present = (v: unknown): unknown => {
  const s = idString(v);
  return s === null || s === undefined || s === "" ? undefined : s;
};

/** One message -> one envelope with one event, or the reasons it cannot be. */
export async function mapMessage(raw: unknown, opts: MapOptions): Promise<MappedMessage | RejectedMessage> {
  if (!isObj(raw)) return { ok: false, messageId: null, errors: [{ path: "(root)", message: "a message must be a JSON object" }] };
  const messageId = typeof raw.messageId === "string" ? raw.messageId.slice(0, 128) : typeof raw.messageId === "number" ? String(raw.messageId) : null;
  const reject = (path: string, message: string): RejectedMessage => ({ ok: false, messageId, errors: [{ path, message }] });

  const bytes = enc.encode(JSON.stringify(raw)).byteLength;
  if (bytes > MAX_MESSAGE_BYTES) return reject("(root)", `message is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES} (32 KB)`);

  const type = opts.endpointType ?? raw.type;
  if (typeof type !== "string" || !(SEGMENT_TYPES as readonly string[]).includes(type)) return reject("type", `expected one of ${SEGMENT_TYPES.join(", ")}`);
  const st = type as SegmentType;

  const ignored: string[] = [];
  for (const k of Object.keys(raw)) if (!KNOWN_FIELDS.has(k)) ignored.push(k);
  const paths: Record<string, string> = { id: "messageId" };
  const ctx = isObj(raw.context) ? raw.context : {};

  // Who: userId and/or anonymousId (alias: previousId links the old id to userId). An empty
  // string is absent: RudderStack's SDK sends userId "" until identify.
  const userId = present(raw.userId);
  const previousId = present(raw.previousId);
  let anon = present(raw.anonymousId);
  paths.anonymous_id = "anonymousId";
  paths.user_id = "userId";
  if (st === "alias") {
    if (userId === undefined) return reject("userId", "alias needs userId");
    if (previousId === undefined) return reject("previousId", "alias needs previousId");
    if (anon === undefined) (anon = previousId), (paths.anonymous_id = "previousId");
  }
  if (anon === undefined && userId === undefined) return reject("userId", "one of userId or anonymousId is required");
  if (anon === undefined) (anon = userId), (paths.anonymous_id = "userId");

  // When: sentAt of the message, else of the batch, else now; the event time falls back likewise.
  const receivedIso = new Date(opts.receivedMs).toISOString();
  const sentAtRaw = raw.sentAt ?? opts.batchSentAt;
  if (sentAtRaw !== undefined && sentAtRaw !== null && !isIso(sentAtRaw)) return reject(raw.sentAt !== undefined ? "sentAt" : "(batch).sentAt", "expected an ISO 8601 date-time");
  const sent_at = (sentAtRaw as string | undefined) ?? receivedIso;
  const tsKey = raw.timestamp !== undefined && raw.timestamp !== null ? "timestamp" : raw.originalTimestamp !== undefined && raw.originalTimestamp !== null ? "originalTimestamp" : null;
  const ts = tsKey ? raw[tsKey] : sent_at;
  if (tsKey && !isIso(ts)) return reject(tsKey, "expected an ISO 8601 date-time");
  paths.ts = tsKey ?? "sentAt";
  if (opts.kind === "browser" && parseTime(sent_at)! - parseTime(ts)! > MAX_BROWSER_AGE_MS) {
    return reject(tsKey ?? "sentAt", "more than 24 h before sentAt: historical events need a server key");
  }

  // What.
  let event: { type: EventType; props: Obj };
  const page = st === "page" && isObj(raw.properties) ? raw.properties : undefined;
  switch (st) {
    case "track":
      event = trackEvent(raw, paths, ignored);
      break;
    case "page":
      event = { type: "page_view", props: pageEvent(raw, isObj(ctx.page) ? ctx.page : {}, paths, ignored) };
      break;
    case "screen":
      event = { type: "custom", props: customProps("screen", "type", isObj(raw.properties) ? raw.properties : undefined, "properties", raw.name !== undefined ? { screen_name: [raw.name, "name"] } : {}, paths, ignored) };
      break;
    case "identify": {
      // The identity signature is never stored: it is taken out of the traits.
      const traits = withoutSignature(isObj(raw.traits) ? raw.traits : isObj(ctx.traits) ? ctx.traits : undefined);
      event = { type: "custom", props: customProps("identify", "type", traits, isObj(raw.traits) ? "traits" : "context.traits", {}, paths, ignored) };
      break;
    }
    case "group":
      if (raw.groupId === undefined || raw.groupId === null) return reject("groupId", "group needs groupId");
      event = { type: "custom", props: customProps("group", "type", isObj(raw.traits) ? raw.traits : undefined, "traits", { group_id: [idString(raw.groupId), "groupId"] }, paths, ignored) };
      break;
    case "alias":
      event = { type: "custom", props: customProps("alias", "type", undefined, "properties", { previous_id: [previousId, "previousId"] }, paths, ignored) };
      break;
  }

  const context = mapContext(ctx, page, ignored);
  // RudderStack's session id is a number (epoch ms): kept as its decimal string.
  const sessionId = present(ctx.sessionId);
  // A browser key's user id may come with the site backend's signature (lib/segment-identity.ts).
  const sig = opts.kind === "browser" && userId !== undefined ? signatureOf(raw) : null;
  if (sig) paths.user_id_sig = sig.from;
  const consent = sdkConsent(ctx, opts.consentCategories);
  const candidate = {
    site: opts.site,
    anonymous_id: anon,
    ...(userId !== undefined ? { user_id: trustedUserId(opts.kind, userId) } : {}),
    ...(sig ? { user_id_sig: sig.value } : {}),
    ...(sessionId !== undefined ? { session_id: sessionId } : {}),
    ...(consent ? { consent } : {}),
    sent_at,
    ...(Object.keys(context).length ? { context } : {}),
    // The endpoint's type is part of a hashed id: one body posted to /v1/identify and /v1/alias is two messages.
    events: [{ id: await eventIdOf(raw.type === st ? raw : { ...raw, type: st }), type: event.type, ts, props: event.props }],
  };
  const env = envelopeSchema.safeParse(candidate);
  if (!env.success) return { ok: false, messageId, errors: toFieldErrors(env.error.issues).map((e) => ({ ...e, path: translatePath(e.path, { ...paths, ...ENVELOPE_PATHS }) })) };
  const userAgent = opts.kind === "server" ? (typeof ctx.userAgent === "string" ? ctx.userAgent.slice(0, 512) : null) : (opts.requestUserAgent ?? null);
  return { ok: true, messageId, envelope: env.data, userAgent, location: opts.kind === "server" ? mapLocation(ctx) : null, paths, ignored };
}

/**
 * The single place where a message's userId becomes the envelope's user_id. A server key is
 * trusted. A browser key's goes, with its signature if any, through the site's identity policy
 * in the route (ingest.ts trustedEnvelope), exactly like the envelope of /v1/collect.
 */
export function trustedUserId(kind: KeyKind, userId: unknown): unknown {
  switch (kind) {
    case "server":
      return userId; // the site's own backend: trusted as sent
    case "browser":
      return userId; // checked against the site's identity policy by the route, as /v1/collect
  }
}

/** `props.items[0].product_id` -> `properties.products[0].sku`, by the longest known prefix. */
export function translatePath(path: string, paths: Record<string, string>): string {
  let best = "";
  for (const k of Object.keys(paths)) {
    if ((path === k || path.startsWith(k + ".") || path.startsWith(k + "[")) && k.length > best.length) best = k;
  }
  return best ? paths[best]! + path.slice(best.length) : path;
}

/** The `Request.cf`-shaped object that geo enrichment reads, from what a server stated. */
export function locationAsCf(loc: StatedLocation | null): Record<string, unknown> | undefined {
  return loc ? { ...loc } : undefined;
}
