/** The beacon envelope of POST /v1/collect. Events are validated one by one (see validate.ts). */
import { z } from "zod";
import { isoTime } from "./events";

export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_EVENTS = 100;

export const siteId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "expected a site id: a-z 0-9 _ -, at most 64");
export const userRef = z.string().min(1).max(128).regex(/^[^\u0000-\u001f]+$/, "control characters are not allowed");

export const contextSchema = z.strictObject({
  page_url: z.url().max(2048).optional(),
  referrer: z.string().max(2048).optional(),
  title: z.string().max(512).optional(),
  locale: z.string().max(35).optional(),
  timezone: z.string().max(64).optional(),
  screen: z.strictObject({ w: z.number().int().nonnegative().max(100_000), h: z.number().int().nonnegative().max(100_000) }).optional(),
});

export const envelopeSchema = z.strictObject({
  site: siteId,
  anonymous_id: userRef,
  user_id: userRef.optional(),
  session_id: userRef.optional(),
  sent_at: isoTime,
  context: contextSchema.optional(),
  // Each element is checked on its own, so one bad event does not sink the batch.
  events: z.array(z.unknown()).min(1).max(MAX_EVENTS),
});
export type Envelope = z.infer<typeof envelopeSchema>;
export type Context = z.infer<typeof contextSchema>;
