/**
 * First-party storage (localStorage, or memory for this page when localStorage throws:
 * blocked cookies, sandboxed frames), ids, the session and the outbox.
 */
import type { Batch } from "./types";

const mem: Record<string, string | undefined> = {};

export const get = (k: string): string | null | undefined => {
  try {
    return localStorage.getItem(k);
  } catch {
    return mem[k];
  }
};

/** Stores v; no v stores "", which every reader takes as absent. */
export const put = (k: string, v?: string): void => {
  try {
    localStorage.setItem(k, v ?? "");
  } catch {
    mem[k] = v;
  }
};

/** n random base-36 characters from crypto.getRandomValues (also in non-secure contexts). */
export const rid = (n: number): string => {
  let s = "";
  for (const b of crypto.getRandomValues(new Uint8Array(n))) s += (b % 36).toString(36);
  return s;
};

/** Event id: time-ordered prefix plus 12 random characters, e.g. "m3k2x9c1-4f0a...". */
export const eventId = (now: number): string => now.toString(36) + "-" + rid(12);

export const SESSION_MS = 30 * 60 * 1000;

/**
 * The session id, stored as "<id>.<last activity ms>". A new one after 30 minutes without
 * events; every call counts as activity.
 */
export const session = (key: string, now: number): string => {
  const [id, t] = (get(key) || "").split(".");
  const sid = id && now - +t! < SESSION_MS ? id : rid(16);
  put(key, sid + "." + now);
  return sid;
};

/**
 * The outbox: batches that are being sent or failed, kept in localStorage so they survive a
 * reload. At most `max` events; the oldest batches are dropped first. Each change reads, edits and
 * writes in one synchronous step, so other tabs of the site only race in that instant.
 */
export const outbox = (key: string, max: number) => {
  const all = (): Batch[] => {
    try {
      return JSON.parse(get(key)!) || [];
    } catch {
      return [];
    }
  };
  const save = (bs: Batch[]): void => {
    bs = bs.filter((b) => b.e.length);
    // Drop the oldest batches (at most 100 events each) until the bound holds.
    while (bs.flatMap((b) => b.e).length > max) bs.shift();
    put(key, bs[0] && JSON.stringify(bs));
  };
  return {
    all,
    add: (b: Batch): void => save([...all(), b]),
    /** Removes the events with these ids (delivered or refused for good). */
    del: (ids: string[]): void => save(all().map((b) => ((b.e = b.e.filter((e) => !ids.includes(e.id))), b))),
    clear: (): void => put(key),
  };
};
export type Outbox = ReturnType<typeof outbox>;
