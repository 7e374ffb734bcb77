/** The beacon envelope of POST /v1/collect. Events are validated one by one (see validate.ts). */
import { array, number, strictObject, string, unknown, url, type z, enum as oneOf } from "zod";
import { isoTime } from "./events";

export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_EVENTS = 100;

export const siteId = string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected a site id: a-z 0-9 _ -, at most 64");
export const userRef = string().min(1).max(128).regex(/^[^\u0000-\u001f]+$/, "control characters are not allowed");

export const contextSchema = strictObject({
  page_url: url().max(2048).optional(),
  referrer: string().max(2048).optional(),
  title: string().max(512).optional(),
  locale: string().max(35).optional(),
  timezone: string().max(64).optional(),
  screen: strictObject({ w: number().int().nonnegative().max(100_000), h: number().int().nonnegative().max(100_000) }).optional(),
});

export const envelopeSchema = strictObject({
  site: siteId,
  anonymous_id: userRef,
  user_id: userRef.optional(),
  /** Hex HMAC-SHA256 of user_id with the site's identity_secret (see README, Identity). */
  user_id_sig: string().regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters (HMAC-SHA256 of user_id)").optional(),
  session_id: userRef.optional(),
  /** The visitor's consent, for sites with consent_mode "required" (see durable-objects/consent.ts). */
  consent: oneOf(["granted", "denied", "unknown"]).optional(),
  sent_at: isoTime,
  context: contextSchema.optional(),
  // Each element is checked on its own, so one bad event does not sink the batch.
  events: array(unknown()).min(1).max(MAX_EVENTS),
});
export type Envelope = z.infer<typeof envelopeSchema>;
export type Context = z.infer<typeof contextSchema>;
