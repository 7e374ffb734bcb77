/**
 * Edge enrichment: geo from request.cf, user agent, bot flag, skew-corrected time, page and
 * campaign fields. Pure functions of their inputs; the raw IP is never an input.
 */
import { isbot } from "isbot";
import UAParser from "ua-parser-js";
import { redactEmails, scrubbedHref, scrubParsed, scrubUrl } from "./scrub";
import { clampToWindow, correctTs, isoString, parseTime, type CollectEvent, type Context, type Envelope, type Geo, type IdentityStatus, type PageInfo, type StoredRecord, type UserAgentInfo } from "../../schemas";

export { correctTs };

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v.slice(0, 256) : null);
const num = (v: unknown): number | null => {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : null;
};

/** Every field guarded: request.cf is absent in tests and a placeholder in local dev. */
export function geoFromCf(cf: unknown): Geo {
  const c = (cf && typeof cf === "object" ? cf : {}) as Record<string, unknown>;
  return {
    country: str(c.country),
    region: str(c.region),
    city: str(c.city),
    postal_code: str(c.postalCode),
    latitude: num(c.latitude),
    longitude: num(c.longitude),
    timezone: str(c.timezone),
    continent: str(c.continent),
    colo: str(c.colo),
    asn: num(c.asn),
    as_org: str(c.asOrganization),
  };
}

/** Parsed user agents and isbot's verdict on them: both are pure functions of the string, and isbot's regex is the costliest step of a small beacon. */
const uaCache = new Map<string, { info: UserAgentInfo; bot: boolean }>();
const UA_CACHE_MAX = 512;

function uaFacts(ua: string): { info: UserAgentInfo; bot: boolean } {
  const hit = uaCache.get(ua);
  if (hit) return hit;
  const bot = isbot(ua);
  const r = new UAParser(ua.slice(0, 512)).getResult();
  const t = r.device.type;
  const device_type: UserAgentInfo["device_type"] = bot
    ? "bot"
    : t === "mobile" || t === "wearable"
      ? "mobile"
      : t === "tablet"
        ? "tablet"
        : t === undefined
          ? "desktop"
          : "other";
  const info: UserAgentInfo = {
    browser: r.browser.name ?? null,
    version: r.browser.version ?? null,
    os: r.os.name ? (r.os.version ? `${r.os.name} ${r.os.version}` : r.os.name) : null,
    device_type,
  };
  if (uaCache.size >= UA_CACHE_MAX) uaCache.delete(uaCache.keys().next().value!);
  const facts = { info, bot };
  uaCache.set(ua, facts);
  return facts;
}

export function parseUserAgent(ua: string | null): UserAgentInfo {
  if (!ua) return { browser: null, version: null, os: null, device_type: "other" };
  return uaFacts(ua).info;
}

/** isbot on the user agent, plus Cloudflare Bot Management's verdict when the zone has it. */
export function detectBot(ua: string | null, cf: unknown, serverKey = false): boolean {
  if (!ua) return !serverKey; // a backend that names no user agent is not taken for a bot
  if (uaFacts(ua).bot) return true;
  const bm = (cf as { botManagement?: { score?: unknown; verifiedBot?: unknown } } | undefined)?.botManagement;
  if (bm) {
    if (bm.verifiedBot === true) return true;
    const score = num(bm.score);
    if (score !== null && score >= 1 && score < 30) return true;
  }
  return false;
}

const UTM = ["source", "medium", "campaign", "term", "content"] as const;
const CAMPAIGN_PARAMS = ["gclid", "gbraid", "wbraid", "dclid", "fbclid", "msclkid", "ttclid", "twclid", "li_fat_id", "utm_id", "ref"];
const WANTED_PARAMS = new Set([...UTM.map((k) => `utm_${k}`), ...CAMPAIGN_PARAMS]);

export function pageInfo(url: string | null | undefined, referrer: string | null | undefined, scrubParams?: readonly string[]): PageInfo {
  let u = safeUrl(url);
  // Scrubbing (scrub.ts) on the same parsed URL: a URL is parsed once. Only when an e-mail
  // address had to be cut out of its text is the result parsed again, as before.
  if (u && scrubParams) {
    scrubParsed(u, scrubParams);
    const href = u.href;
    const clean = scrubbedHref(u);
    if (clean !== href) u = safeUrl(clean);
  }
  const ref = safeUrl(referrer);
  // One pass over the query for the names read below; the first value of a name counts, as URLSearchParams.get.
  const first = new Map<string, string>();
  if (u?.search) for (const [k, v] of u.searchParams) if (WANTED_PARAMS.has(k) && !first.has(k)) first.set(k, v);
  const utm: PageInfo["utm"] = { source: str(first.get("utm_source")), medium: str(first.get("utm_medium")), campaign: str(first.get("utm_campaign")), term: str(first.get("utm_term")), content: str(first.get("utm_content")) };
  const campaign_params: Record<string, string> = {};
  if (first.size) {
    for (const k of CAMPAIGN_PARAMS) {
      const v = str(first.get(k));
      if (v) campaign_params[k] = v;
    }
  }
  return { url: u ? u.href.slice(0, 2048) : null, path: u ? u.pathname : null, referrer_host: ref?.hostname || null, utm, campaign_params };
}

function safeUrl(s: string | null | undefined): URL | null {
  if (!s) return null;
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:" ? u : null;
  } catch {
    return null;
  }
}

export interface RequestFacts {
  receivedMs: number;
  userAgent: string | null;
  cf: unknown;
  /** The site's extra query parameters to strip from URLs. */
  scrubParams?: readonly string[];
  /**
   * Sent with a site's secret server key: each event's ts is kept as sent (historical
   * events keep their time; no skew correction) and a missing user agent is not a bot.
   */
  serverKey?: boolean;
}

/** Props with URLs scrubbed and e-mail addresses redacted from free text. */
export function scrubProps(props: Record<string, unknown>, scrubParams: readonly string[]): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const k of ["url", "href", "title", "text", "query"]) {
    const v = props[k];
    if (typeof v !== "string") continue;
    const clean = k === "url" || k === "href" ? scrubUrl(v, scrubParams) : redactEmails(v);
    if (clean !== v) (out ??= { ...props })[k] = clean;
  }
  return out ?? props;
}

/**
 * Envelope + validated events + request facts -> stored records. `identity`: see worker/lib/identity.ts.
 * Events should have passed `checkEventTimes` (validate.ts); a time outside the window is
 * clamped into it here all the same, so a record's ts is always inside (schemas/time.ts).
 */
export function enrichEvents(env: Envelope, events: readonly CollectEvent[], facts: RequestFacts, identity: IdentityStatus = env.user_id ? "asserted" : "none"): StoredRecord[] {
  const geo = geoFromCf(facts.cf);
  const ua = parseUserAgent(facts.userAgent);
  const bot = detectBot(facts.userAgent, facts.cf, facts.serverKey);
  const sentMs = parseTime(env.sent_at) ?? facts.receivedMs;
  const source = facts.serverKey ? "server" : "browser";
  const received_at = isoString(facts.receivedMs);
  const ctx: Context = env.context ?? {};
  const scrub = facts.scrubParams ?? [];
  const beaconPage = pageInfo(ctx.page_url, ctx.referrer, scrub);
  return events.map((e) => {
    const clientMs = parseTime(e.ts) ?? facts.receivedMs;
    const props = scrubProps(e.props as Record<string, unknown>, scrub);
    const ownUrl = e.type === "page_view" ? (props.url as string | undefined) : undefined;
    return {
      id: e.id,
      site: env.site,
      type: e.type,
      props,
      anonymous_id: env.anonymous_id,
      user_id: env.user_id ?? null,
      identity,
      session_id: env.session_id ?? null,
      client_ts: e.ts,
      sent_at: env.sent_at,
      received_at,
      ts: isoString(clampToWindow(facts.serverKey ? clientMs : correctTs(facts.receivedMs, sentMs, clientMs), facts.receivedMs, source)),
      page: ownUrl ? pageInfo(ownUrl, ctx.referrer) : beaconPage,
      geo,
      ua,
      bot,
      locale: ctx.locale ?? null,
      timezone: ctx.timezone ?? null,
    };
  });
}
