/**
 * The per-user consent buffer's rules. With a site's `consent_mode: "required"`, events of a
 * user who has not granted consent are held in the user's object: neither profiled nor sent
 * to the lake. Granting releases them (profile, then lake, in event order); denying purges
 * them. With `consent_mode: "off"` (the default) everything is processed as it arrives.
 */
export type ConsentState = "granted" | "denied" | "unknown";
export type ConsentMode = "off" | "required";

export interface ConsentStep {
  state: ConsentState;
  /** What to do with this beacon's events. */
  action: "process" | "hold" | "drop";
  /** Held events must now be processed (granted) or deleted (denied). */
  release: boolean;
  purge: boolean;
}

/** Held events are bounded per user: the oldest go first, and none stays longer than this. */
export const HOLD_MAX_EVENTS = 1000;
export const HOLD_MAX_AGE_MS = 30 * 24 * 3_600_000;

export function consentStep(mode: ConsentMode, stored: ConsentState, incoming: ConsentState | undefined): ConsentStep {
  if (mode === "off") return { state: incoming ?? stored, action: "process", release: false, purge: false };
  const state = incoming && incoming !== "unknown" ? incoming : stored;
  if (state === "granted") return { state, action: "process", release: stored !== "granted", purge: false };
  if (state === "denied") return { state, action: "drop", release: false, purge: true };
  return { state, action: "hold", release: false, purge: false };
}
