import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eventId as eventIdSchema } from "../../schemas";
import { eventId, get, outbox, put, session, SESSION_MS } from "../src/store";
import type { Batch } from "../src/types";
import { MemoryStorage } from "./browser-env";

let storage: MemoryStorage;
beforeEach(() => {
  storage = new MemoryStorage();
  vi.stubGlobal("localStorage", storage);
});
afterEach(() => vi.unstubAllGlobals());

let n = 0;
const batch = (count: number, tag = "b"): Batch => ({
  h: { site: "demo", anonymous_id: "a1" },
  e: Array.from({ length: count }, () => ({ id: `${tag}-${n++}`, type: "page_view" as const, ts: new Date().toISOString(), props: {} })),
});
const ids = (bs: Batch[]) => bs.flatMap((b) => b.e.map((e) => e.id));

describe("outbox", () => {
  it("keeps batches in localStorage across instances (a reload)", () => {
    const a = batch(3);
    outbox("ob", 1000).add(a);
    expect(JSON.parse(storage.getItem("ob")!)).toEqual([a]);
    expect(outbox("ob", 1000).all()).toEqual([a]);
  });

  it("removes delivered events by id and forgets empty batches", () => {
    const ob = outbox("ob", 1000);
    const a = batch(3);
    const b = batch(2);
    ob.add(a);
    ob.add(b);
    ob.del([a.e[0]!.id, a.e[2]!.id, ...b.e.map((e) => e.id)]);
    expect(ids(ob.all())).toEqual([a.e[1]!.id]);
    ob.del([a.e[1]!.id]);
    expect(ob.all()).toEqual([]);
    expect(get("ob")).toBeFalsy();
  });

  it("is bounded: over the limit the oldest batches go, the newest events stay", () => {
    const ob = outbox("ob", 500);
    const added: Batch[] = [];
    for (let i = 0; i < 12; i++) {
      const b = batch(100, `x${i}`);
      added.push(b);
      ob.add(b);
      const kept = ids(ob.all());
      expect(kept.length).toBeLessThanOrEqual(500);
    }
    // 1,200 added, the newest 500 kept.
    expect(ids(ob.all())).toEqual(ids(added.slice(-5)));
  });

  it("keeps at least 500 events with the default size and smaller batches", () => {
    const ob = outbox("ob", 1000);
    for (let i = 0; i < 100; i++) ob.add(batch(37));
    const kept = ids(ob.all()).length;
    expect(kept).toBeLessThanOrEqual(1000);
    expect(kept).toBeGreaterThan(1000 - 37);
  });

  it("survives garbage in storage", () => {
    storage.setItem("ob", "{not json");
    const ob = outbox("ob", 1000);
    expect(ob.all()).toEqual([]);
    const a = batch(1);
    ob.add(a);
    expect(ob.all()).toEqual([a]);
  });

  it("works from memory when localStorage throws (blocked cookies, sandboxed frames)", () => {
    storage.broken = true;
    const ob = outbox("ob", 1000);
    const a = batch(2);
    ob.add(a);
    expect(ob.all()).toEqual([a]);
    ob.del([a.e[0]!.id]);
    expect(ids(ob.all())).toEqual([a.e[1]!.id]);
  });

  it("clear() empties it", () => {
    const ob = outbox("ob", 1000);
    ob.add(batch(2));
    ob.clear();
    expect(ob.all()).toEqual([]);
  });
});

describe("session", () => {
  it("keeps the id while events come within 30 minutes of each other", () => {
    const t0 = Date.parse("2026-11-26T10:00:00Z");
    const s = session("sid", t0);
    expect(session("sid", t0 + 29 * 60_000)).toBe(s);
    // Activity moves the window: 58 minutes after the start, 29 after the last event.
    expect(session("sid", t0 + 58 * 60_000)).toBe(s);
  });

  it("rolls over after 30 minutes without events", () => {
    const t0 = Date.parse("2026-11-26T10:00:00Z");
    const s1 = session("sid", t0);
    const s2 = session("sid", t0 + SESSION_MS);
    expect(s2).not.toBe(s1);
    expect(session("sid", t0 + SESSION_MS + 1000)).toBe(s2);
    expect(s2).toMatch(/^[a-z0-9]{16}$/);
  });

  it("starts a new session when the stored value is missing or broken", () => {
    put("sid", "garbage-without-time");
    const s = session("sid", Date.now());
    expect(s).not.toBe("garbage-without-time");
  });
});

describe("ids", () => {
  it("event ids are unique and valid for the collector", () => {
    const seen = new Set<string>();
    const now = Date.now();
    for (let i = 0; i < 10_000; i++) {
      const id = eventId(now);
      expect(eventIdSchema.safeParse(id).success).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(10_000);
  });
});
