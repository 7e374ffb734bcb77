/** The per-user Durable Object in workerd: dedup, durable buffer, alarm and size flush, queue failures. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { UserProfile } from "../durable-objects/user-profile";
import { uid } from "./helpers";
import { record } from "./records";

const stubFor = (name = uid("user")) => ({ name, stub: env.PROFILES.get(env.PROFILES.idFromName(`demo:${name}`)) });

/** Wraps the real queue binding so that the first `n` sendBatch calls fail (fault injection). */
async function failQueueSends(stub: DurableObjectStub<UserProfile>, n: number) {
  await runInDurableObject(stub, (inst: UserProfile) => {
    const real = env.EVENTS;
    let left = n;
    // The object's outbox holds the Queue binding: wrap it there (faults live in tests only).
    (inst as unknown as { outbox: { queue: unknown } }).outbox.queue = {
      send: (...a: Parameters<typeof real.send>) => real.send(...a),
      sendBatch: async (...a: Parameters<typeof real.sendBatch>) => {
        if (left-- > 0) throw new Error("injected: queue unavailable");
        return real.sendBatch(...a);
      },
    };
  });
}

describe("UserProfile Durable Object", () => {
  it("keeps each event id once and counts duplicates", async () => {
    const { name, stub } = stubFor();
    const a = record({ anonymous_id: name });
    const b = record({ anonymous_id: name });
    expect(await stub.ingest("demo", name, [a, b, a])).toEqual({ accepted: 2, duplicates: 1, duplicate_ids: [a.id] });
    expect(await stub.ingest("demo", name, [b])).toEqual({ accepted: 0, duplicates: 1, duplicate_ids: [b.id] });
    expect((await stub.getProfile())!.counts.page_view).toBe(2);
  });

  it("holds accepted events in its storage and schedules a flush T after the first", async () => {
    const { name, stub } = stubFor();
    const before = Date.now();
    await stub.ingest("demo", name, [record(), record()]);
    const s = await stub.bufferState();
    expect(s.buffered).toBe(2);
    expect(s.alarm).toBeGreaterThanOrEqual(before + 500 - 50);
    expect(s.alarm).toBeLessThanOrEqual(Date.now() + 500 + 50);
    // A later beacon does not push the flush back.
    await stub.ingest("demo", name, [record()]);
    expect((await stub.bufferState()).alarm).toBe(s.alarm);
    // Storage survives the object being torn down.
    await runInDurableObject(stub, (_inst, state) => {
      // One row per beacon, holding its events.
      expect(state.storage.sql.exec("SELECT count(*) AS rows, sum(n) AS n FROM buffer").one()).toEqual({ rows: 2, n: 3 });
    });
  });

  it("flushes on the alarm: the buffer goes to the queue and empties", async () => {
    const { name, stub } = stubFor();
    await stub.ingest("demo", name, [record(), record(), record()]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The flush timer is gone; the alarm now follows the session_end timer.
    const s = await stub.bufferState();
    expect(s).toMatchObject({ buffered: 0, flush_attempt: 0, flush_at: null });
    expect(s.alarm).toBe(s.timers.session_end);
  });

  it("flushes at once when the buffer reaches N events", async () => {
    const { name, stub } = stubFor();
    const recs = Array.from({ length: 50 }, () => record());
    await stub.ingest("demo", name, recs);
    const after = Date.now();
    const s = await stub.bufferState();
    // FLUSH_MAX_EVENTS=50: the alarm is due now rather than in 500 ms (or it already ran).
    // Compared with the time after the call, so a slow machine does not fail it.
    if (s.buffered > 0) expect(s.alarm!).toBeLessThanOrEqual(after);
  });

  it("keeps the buffer when the queue refuses, backs off, and sends everything once it recovers", async () => {
    const { name, stub } = stubFor();
    await failQueueSends(stub, 2);
    await stub.ingest("demo", name, [record(), record()]);
    const t0 = Date.now();
    await runDurableObjectAlarm(stub);
    let s = await stub.bufferState();
    expect(s).toMatchObject({ buffered: 2, flush_attempt: 1 });
    expect(s.alarm! - t0).toBeGreaterThanOrEqual(400); // backoff, not a hot loop
    // New events while backing off join the buffer and do not pull the retry earlier.
    await stub.ingest("demo", name, [record()]);
    expect((await stub.bufferState()).alarm).toBe(s.alarm);
    await runDurableObjectAlarm(stub);
    s = await stub.bufferState();
    expect(s).toMatchObject({ buffered: 3, flush_attempt: 2 });
    await runDurableObjectAlarm(stub);
    expect(await stub.bufferState()).toMatchObject({ buffered: 0, flush_attempt: 0 });
  });

  it("re-sends a chunk under the same id after a failure", async () => {
    const { name, stub } = stubFor();
    await failQueueSends(stub, 1);
    await stub.ingest("demo", name, [record(), record()]);
    await runDurableObjectAlarm(stub);
    const chunks = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ chunk: string }>("SELECT DISTINCT chunk FROM buffer").toArray().map((r) => r.chunk));
    expect(chunks).toHaveLength(1);
    await stub.ingest("demo", name, [record()]);
    await runInDurableObject(stub, (inst: UserProfile) => {
      // Use a capturing wrapper to see what is sent.
      const sent: string[] = [];
      (inst as unknown as { outbox: { queue: unknown } }).outbox.queue = {
        send: (...a: Parameters<typeof env.EVENTS.send>) => env.EVENTS.send(...a),
        sendBatch: async (msgs: { body: { chunk: string } }[]) => {
          for (const m of msgs) sent.push(m.body.chunk);
          return env.EVENTS.sendBatch(msgs as never);
        },
      };
      (globalThis as any).__sent = sent;
    });
    await runDurableObjectAlarm(stub);
    const sent = await runInDurableObject(stub, () => (globalThis as any).__sent as string[]);
    expect(sent[0]).toBe(chunks[0]);
    expect(sent).toHaveLength(2); // the old chunk as it was, plus one for the new event
  });

  it("rolls back a failed ingest entirely", async () => {
    const { name, stub } = stubFor();
    // A BigInt cannot be serialised: the second record fails after the first was written.
    const bad = record({ props: { n: 1n } as never });
    await runInDurableObject(stub, async (inst: UserProfile) => {
      await expect(inst.ingest("demo", name, [record(), bad])).rejects.toThrow(/BigInt/);
    });
    expect(await stub.bufferState()).toMatchObject({ buffered: 0, alarm: null });
    expect(await stub.getProfile()).toBeNull();
    await runInDurableObject(stub, (_i, state) => expect(state.storage.sql.exec("SELECT count(*) AS n FROM seen").one().n).toBe(0));
  });
});
