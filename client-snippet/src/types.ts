/**
 * Public types of the snippet. The wire format comes from ../../schemas (type-only imports,
 * erased by esbuild), so the snippet cannot drift from what the collector validates and
 * zod is never bundled.
 */
import type { ClientEventType, Context, Envelope, EventType, PropsOf } from "../../schemas";

export type { Context, EventType, PropsOf };

/** Flat properties: what a `custom` event (and identify traits) may carry. */
export type Flat = Record<string, string | number | boolean>;

/** One event as it goes on the wire: a client-made id and timestamp, the type and its props. */
export interface WireEvent {
  id: string;
  type: EventType;
  ts: string;
  props: Record<string, unknown>;
}

/** Everything of an envelope but `sent_at` and `events`: fixed when an event is tracked. */
export type Head = Omit<Envelope, "sent_at" | "events">;

/** Events that share one head: an envelope without `sent_at`. Queue and outbox hold these. */
export interface Batch {
  h: Head;
  e: WireEvent[];
}

export type ConsentState = "granted" | "denied";

/** Auto-capture switches; every one is on unless set to false. */
export interface AutoOptions {
  /** page_view on load and on SPA navigations (pushState, replaceState, popstate). */
  pageviews?: boolean;
  /** Clicks on [data-track] elements and on `selectors`. */
  clicks?: boolean;
  /** scroll_depth at 25, 50, 75, 90 and 100 percent. */
  scroll?: boolean;
  /** engagement {active_ms, visible_ms} when the page hides or navigates. */
  engagement?: boolean;
  /** form_submit with the form's id or name (never field values). */
  forms?: boolean;
  /** search from the `searchParam` query parameter of a page view. */
  search?: boolean;
}

export interface Config {
  /** Site id, as configured in the collector's SITES. */
  site: string;
  /** Collect URL. Script tag: <script origin>/v1/collect. ESM: "/v1/collect". */
  endpoint?: string;
  /** false turns all auto-capture off; an object turns single parts off. */
  auto?: boolean | AutoOptions;
  /** CSS selectors whose clicks are captured besides [data-track]. Default [".product-thumbnail"]. */
  selectors?: string[] | string;
  /** Query parameter of site search. Default "q"; "" turns it off. */
  searchParam?: string;
  /** When true, send nothing and store nothing if Global Privacy Control or Do Not Track is on. */
  respectDnt?: boolean;
  /** Consent until consent() is called; the stored choice wins. Default "granted". */
  consent?: ConsentState;
  /** Flush interval in ms. Default 5000. */
  flushInterval?: number;
  /** Flush at this many queued events. Default 20. */
  batchSize?: number;
  /** Events kept in the localStorage outbox, oldest dropped first. Default 1000. */
  outboxSize?: number;
  /** Largest request body in bytes; under the 64 KiB beacon budget. Default 60000. */
  maxBytes?: number;
  /** console.warn what is dropped and why. */
  debug?: boolean;
}

export interface Ids {
  anonymous_id: string;
  user_id?: string;
  session_id?: string;
}

export interface Client {
  /** A typed event; props are checked against the collector's schema at compile time. */
  track<T extends Exclude<ClientEventType, "identify">>(type: T, props: PropsOf<T>): void;
  /** Any other name is sent as a `custom` event {name, properties}. */
  track<N extends string>(name: N & (N extends EventType ? never : unknown), properties?: Flat): void;
  /** A page_view of the current location. */
  page(): void;
  /** Sets user_id on every later envelope (persisted) and flushes at once. Traits go as custom "identify". */
  identify(userId: string, traits?: Flat): void;
  /** "denied" drops queued events and sends nothing; "granted" sends. Persisted. */
  consent(state: ConsentState): void;
  /** Sends queued events now; resolves when they are delivered or in the outbox. */
  flush(): Promise<void>;
  /** Forgets user_id, anonymous id and session (log out). Queued events keep their ids. */
  reset(): void;
  /** The ids now in use (the profile is keyed by user_id, else anonymous_id). */
  ids(): Ids;
}
