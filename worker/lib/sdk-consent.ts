/**
 * Consent as the browser SDKs state it -> the envelope's `consent` (durable-objects/consent.ts
 * acts on it for sites with `consent_mode: "required"`). Pure.
 *
 * - Segment (analytics.js with its consent wrapper, or any source middleware):
 *   `context.consent.categoryPreferences` = `{"Analytics": true, "Advertising": false}`.
 * - RudderStack v3 (`consentManagement` load option): `context.consentManagement` =
 *   `{"allowedConsentIds": ["C0001"], "deniedConsentIds": ["C0004"], "provider", "resolutionStrategy"}`
 *   (older SDKs sent the ids as the keys of an object: accepted too).
 *
 * Rule, with the site's `consent_categories` unset (the default): any category granted ->
 * "granted"; categories stated but none granted -> "denied"; nothing stated -> no statement
 * (the user's stored consent stands). With `consent_categories` set (e.g. ["Analytics"]):
 * "granted" when every listed category is granted, "denied" when any listed one is denied,
 * otherwise no statement. Category names compare case-insensitively.
 */
export type SdkConsent = "granted" | "denied";

export interface CategoryVerdicts {
  granted: Set<string>;
  denied: Set<string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const norm = (s: string) => s.trim().toLowerCase();
const MAX_CATEGORIES = 100;

/** Segment's categoryPreferences: true grants, false denies, anything else says nothing. */
export function segmentVerdicts(ctx: Obj): CategoryVerdicts {
  const out: CategoryVerdicts = { granted: new Set(), denied: new Set() };
  const prefs = isObj(ctx.consent) && isObj(ctx.consent.categoryPreferences) ? ctx.consent.categoryPreferences : {};
  for (const [k, v] of Object.entries(prefs).slice(0, MAX_CATEGORIES)) {
    if (v === true) out.granted.add(norm(k));
    else if (v === false) out.denied.add(norm(k));
  }
  return out;
}

const ids = (v: unknown): string[] => {
  const list = Array.isArray(v) ? v : isObj(v) ? Object.keys(v) : [];
  return list.slice(0, MAX_CATEGORIES).filter((x): x is string | number => typeof x === "string" || typeof x === "number").map((x) => norm(String(x)));
};

/** RudderStack's consentManagement: allowedConsentIds grant, deniedConsentIds deny. */
export function rudderVerdicts(ctx: Obj): CategoryVerdicts {
  const cm = isObj(ctx.consentManagement) ? ctx.consentManagement : {};
  return { granted: new Set(ids(cm.allowedConsentIds)), denied: new Set(ids(cm.deniedConsentIds)) };
}

/** The rule above, on verdicts gathered from any of the SDKs' fields. */
export function decideConsent(v: CategoryVerdicts, required?: readonly string[]): SdkConsent | undefined {
  const req = (required ?? []).map(norm).filter(Boolean);
  if (req.length === 0) {
    if (v.granted.size > 0) return "granted";
    return v.denied.size > 0 ? "denied" : undefined;
  }
  if (req.some((c) => v.denied.has(c) && !v.granted.has(c))) return "denied";
  return req.every((c) => v.granted.has(c)) ? "granted" : undefined;
}

/** The consent a message's context states, if any. */
export function sdkConsent(ctx: Obj, required?: readonly string[]): SdkConsent | undefined {
  const s = segmentVerdicts(ctx);
  const r = rudderVerdicts(ctx);
  return decideConsent({ granted: new Set([...s.granted, ...r.granted]), denied: new Set([...s.denied, ...r.denied]) }, required);
}
