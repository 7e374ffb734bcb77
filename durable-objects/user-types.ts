/** The user object's RPC shapes (durable-objects/user-profile.ts), apart so the class stays short. */
import type { ConsentState } from "./consent";
import type { ProfileView } from "./profile";

export interface IngestResult {
  accepted: number;
  duplicates: number;
  duplicate_ids: string[];
}

/** How a beacon reaches this object (the worker's own options are in worker/ingest.ts). */
export interface BeaconOptions {
  /** Set when an anonymous object that was merged into this user forwards its beacon. */
  forwardedFrom?: string;
  hops?: number;
  /** The beacon's consent, for sites with consent_mode "required" (consent.ts). */
  consent?: ConsentState;
  /**
   * Sent with a server key: its events without a session id are not a visit (a backend's order
   * or CRM update), so they open or extend no session and set no session-end timer.
   */
  server?: boolean;
}

/** The profile as readers and subscribers get it: the pure view plus bot and consent state. */
export type LiveProfileView = ProfileView & { bot: { score: number; reasons: string[] }; consent: { state: ConsentState; held_events: number } };
