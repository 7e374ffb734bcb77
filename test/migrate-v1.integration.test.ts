/** An object stored in the older layout (meta, seen, timers, stats_pending, buffer rows) moves to the state row on first use, losing nothing. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { emptyProfile } from "../durable-objects/profile";
import type { UserProfile } from "../durable-objects/user-profile";
import { uid } from "./helpers";
import { onDisk } from "./object-state";
import { record } from "./records";

it("moves a v1 object into the state row once: profile, facts, ids, timers, counts and buffered chunks", async () => {
  const name = uid("v1");
  const stub = env.PROFILES.get(env.PROFILES.idFromName(`demo:${name}`));
  const profile = { ...emptyProfile("demo", name), first_seen: "2031-01-01T00:00:00.000Z" };
  profile.counts.page_view = 3;
  const [bound, loose] = [record({ anonymous_id: name }), record({ anonymous_id: name })];
  const due = Date.now() + 3_600_000;
  await runInDurableObject(stub, (_i: UserProfile, state: DurableObjectState) => {
    const sql = state.storage.sql;
    sql.exec(`
      CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE timers (name TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE stats_pending (minute INTEGER PRIMARY KEY, duplicates INTEGER NOT NULL);
      CREATE TABLE buffer (seq INTEGER PRIMARY KEY, chunk TEXT, n INTEGER NOT NULL, bytes INTEGER NOT NULL, rec TEXT NOT NULL);
    `);
    for (const [k, v] of [["site", "demo"], ["id", name], ["consent", "granted"], ["generation", "g1234567"], ["profile", JSON.stringify(profile)]]) sql.exec("INSERT INTO meta (k, v) VALUES (?, ?)", k, v);
    sql.exec("INSERT INTO seen (id, at) VALUES (?, ?), (?, ?)", bound.id, Date.now() - 1000, loose.id, Date.now());
    sql.exec("INSERT INTO timers (name, due) VALUES ('session_end', ?)", due);
    sql.exec("INSERT INTO stats_pending (minute, duplicates) VALUES (?, 2)", Math.floor(Date.now() / 60_000));
    sql.exec("INSERT INTO buffer (chunk, n, bytes, rec) VALUES ('old-chunk-1', 1, 100, ?)", JSON.stringify([bound]));
    sql.exec("INSERT INTO buffer (chunk, n, bytes, rec) VALUES (NULL, 1, 100, ?)", JSON.stringify([loose]));
  });

  expect((await stub.getProfile())!.counts.page_view).toBe(3);
  const d = await onDisk(stub);
  expect(d.tables.sort()).toEqual(["buffer", "state"]);
  expect(d.doc).toMatchObject({ meta: { site: "demo", id: name, consent: "granted" }, gen: "g1234567", timers: { session_end: due } });
  expect(Object.values(d.doc!.dups)).toEqual([2]);
  expect(d.seen.sort()).toEqual([bound.id, loose.id].sort());
  expect(d.chunks.map((c) => c.id)[0]).toBe("old-chunk-1");
  expect(d.chunks[1]!.id).toMatch(/-g1234567-v1-2$/);
  const s = await stub.bufferState();
  expect(s).toMatchObject({ buffered: 2, timers: { session_end: due } });

  // Dedup holds for ids taken before the move; new events go on into the same profile.
  expect(await stub.ingest("demo", name, [bound])).toMatchObject({ accepted: 0, duplicates: 1 });
  expect(await stub.ingest("demo", name, [record({ anonymous_id: name })])).toMatchObject({ accepted: 1 });
  expect((await stub.getProfile())!.counts.page_view).toBe(4);
  // The old rows go to the queue under their ids (the bound one as it was) and leave.
  await runDurableObjectAlarm(stub);
  await runDurableObjectAlarm(stub);
  expect((await stub.bufferState()).buffered).toBe(0);
  expect((await onDisk(stub)).chunks.filter((c) => c.id === "old-chunk-1")).toEqual([]);
});
