/**
 * The identity signature of a browser key's message. A site that verifies identities has its
 * backend compute `user_id_sig = hex(HMAC-SHA256(identity_secret, userId))` (lib/identity.ts)
 * and puts it in the identify call's traits (`analytics.identify(id, { user_id_sig })`, both
 * SDKs), or in the context of any call (`{ context: { user_id_sig } }`). RudderStack repeats
 * the user's traits in `context.traits` of every later call, so there the signature travels
 * with every event; Segment sends traits with identify only. Pure.
 *
 * The signature is checked by the site's identity policy (ingest.ts trustedEnvelope) and is
 * never stored: it is removed from stored traits and redacted from kept rejected rows.
 */
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

export const SIGNATURE_FIELD = "user_id_sig";

/** Where the signature is looked for, in this order. */
const PLACES: readonly (readonly [string, (m: Obj) => unknown])[] = [
  ["context.user_id_sig", (m) => (isObj(m.context) ? m.context[SIGNATURE_FIELD] : undefined)],
  ["traits.user_id_sig", (m) => (isObj(m.traits) ? m.traits[SIGNATURE_FIELD] : undefined)],
  ["context.traits.user_id_sig", (m) => (isObj(m.context) && isObj(m.context.traits) ? m.context.traits[SIGNATURE_FIELD] : undefined)],
];

/** The signature and the path it came from (for error messages), or null. */
export function signatureOf(msg: Obj): { value: unknown; from: string } | null {
  for (const [from, get] of PLACES) {
    const v = get(msg);
    if (v !== undefined && v !== null && v !== "") return { value: v, from };
  }
  return null;
}

/** Traits without the signature (a copy; the message itself is not changed). */
export function withoutSignature(traits: Obj | undefined): Obj | undefined {
  if (!traits || !(SIGNATURE_FIELD in traits)) return traits;
  const { [SIGNATURE_FIELD]: _sig, ...rest } = traits;
  return rest;
}

/** JSON text with every user_id_sig value replaced, for rows that keep raw input. */
export function redactSignatures(text: string): string {
  return text.replace(/("user_id_sig"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"[redacted]"');
}
