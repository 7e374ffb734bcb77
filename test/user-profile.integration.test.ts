/** The per-user Durable Object in workerd: dedup, the state row, when chunks go to the queue, queue failures, rollback. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { UserProfile } from "../durable-objects/user-profile";
import { eventually } from "./eventually";
import { uid } from "./helpers";
import { onDisk } from "./object-state";
import { record } from "./records";

const stubFor = (name = uid("user")) => ({ name, stub: env.PROFILES.get(env.PROFILES.idFromName(`demo:${name}`)) });

type Sent = { chunk: string; records: { id: string }[] }[];
type Control = { sent: Sent; release: () => void; held: number };

/**
 * Wraps the object's queue (the outbox holds the binding; faults live in tests only): the first
 * `fail` sendBatch calls throw, and with `hold` every send waits until `release()`. What was
 * sent is recorded. The control lives on globalThis under `key` (same isolate as the object).
 */
async function wrapQueue(stub: DurableObjectStub<UserProfile>, key: string, o: { fail?: number; hold?: boolean } = {}) {
  await runInDurableObject(stub, (inst: UserProfile) => {
    const real = env.EVENTS;
    let left = o.fail ?? 0;
    let gate: Promise<void> = Promise.resolve();
    const ctl: Control = { sent: [], release: () => {}, held: 0 };
    if (o.hold) gate = new Promise((r) => (ctl.release = r));
    (globalThis as Record<string, unknown>)[key] = ctl;
    (inst as unknown as { outbox: { queue: unknown } }).outbox.queue = {
      send: (...a: Parameters<typeof real.send>) => real.send(...a),
      sendBatch: async (msgs: { body: Sent[number] }[], opts?: QueueSendBatchOptions) => {
        ctl.held++;
        await gate;
        if (left-- > 0) throw new Error("injected: queue unavailable");
        for (const m of msgs) ctl.sent.push(m.body);
        return real.sendBatch(msgs as never, opts);
      },
    };
  });
  const ctl = () => runInDurableObject(stub, () => (globalThis as Record<string, unknown>)[key] as Control);
  return {
    sent: async () => (await ctl()).sent.map((b) => ({ chunk: b.chunk, ids: b.records.map((r) => r.id) })),
    held: async () => (await ctl()).held,
    release: () => runInDurableObject(stub, () => ((globalThis as Record<string, unknown>)[key] as Control).release()),
  };
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

  it("keeps a beacon's events, ids and profile in one state row, sends them after the answer, then drops them", async () => {
    const { name, stub } = stubFor();
    const q = await wrapQueue(stub, uid("q"), { hold: true });
    const recs = [record(), record()];
    await stub.ingest("demo", name, recs);
    // On disk before the queue took it: one table, one row holds the profile, the ids and the chunk.
    const d = await onDisk(stub);
    expect(d.tables).toEqual(["state"]);
    expect(d.seen.sort()).toEqual(recs.map((r) => r.id).sort());
    expect(d.doc!.profile!.counts.page_view).toBe(2);
    expect(d.chunks.flatMap((c) => c.records.map((r) => r.id))).toEqual(recs.map((r) => r.id));
    // The first beacon goes at once, after the answer; once the queue took it, the row drops it.
    await eventually(async () => (await q.held()) === 1, { what: "the send under way", ms: 10_000 });
    await q.release();
    const sent = await eventually(async () => ((await q.sent()).length ? q.sent() : null), { what: "the chunk sent", ms: 10_000 });
    expect(sent).toEqual([{ chunk: d.chunks[0]!.id, ids: recs.map((r) => r.id) }]);
    await eventually(async () => (await onDisk(stub)).chunks.length === 0, { what: "the chunk out of the row", ms: 10_000 });
    expect(await stub.bufferState()).toMatchObject({ buffered: 0, flush_at: null });
    expect((await onDisk(stub)).seen.sort()).toEqual(recs.map((r) => r.id).sort()); // the ids stay, for dedup
  });

  it("drops a sent chunk with the row's next write instead of a write of its own", async () => {
    const { name, stub } = stubFor();
    const q = await wrapQueue(stub, uid("q"));
    const key = uid("saves");
    // Count the state row's writes; a 5 s interval makes the grace 8 s, longer than this test.
    const counts = globalThis as unknown as Record<string, number>;
    await runInDurableObject(stub, (inst: UserProfile) => {
      const o = inst as unknown as { cfg: { flushIntervalMs: number }; outbox: { cfg: { flushIntervalMs: number } }; store: { state: { save: () => boolean } } };
      o.outbox.cfg.flushIntervalMs = 5000;
      const st = o.store.state;
      const save = st.save.bind(st);
      counts[key] = 0;
      st.save = () => {
        const wrote = save();
        if (wrote) counts[key]! += 1;
        return wrote;
      };
    });
    const saves = () => runInDurableObject(stub, () => counts[key]!);
    const a = record();
    await stub.ingest("demo", name, [a]);
    await eventually(async () => (await q.sent()).length === 1, { what: "the first chunk sent", ms: 10_000 });
    expect(await saves()).toBe(1);
    expect((await onDisk(stub)).chunks.flatMap((c) => c.records.map((r) => r.id))).toEqual([a.id]); // sent, still in the row
    const b = record();
    await stub.ingest("demo", name, [b]); // within the interval: waits for its end, and its write drops a's chunk
    expect(await saves()).toBe(2);
    expect((await onDisk(stub)).chunks.flatMap((c) => c.records.map((r) => r.id))).toEqual([b.id]);
    await runDurableObjectAlarm(stub);
    expect((await q.sent()).map((x) => x.ids)).toEqual([[a.id], [b.id]]);
    // The alarm is about to move later (to the session's end): the sent chunk leaves the row first.
    expect(await saves()).toBe(3);
    expect((await onDisk(stub)).chunks).toEqual([]);
  });

  it("holds what arrives during a flush until the interval ends; a later beacon does not push it back", async () => {
    const { name, stub } = stubFor();
    const q = await wrapQueue(stub, uid("q"), { hold: true });
    const t0 = Date.now();
    await stub.ingest("demo", name, [record()]);
    await eventually(async () => (await q.held()) === 1, { what: "the first send in flight", ms: 10_000 });
    await stub.ingest("demo", name, [record()]);
    const s = await stub.bufferState();
    expect(s.buffered).toBe(2); // the one in flight counts until the queue took it
    expect(s.flush_at).toBeGreaterThanOrEqual(t0);
    expect(s.flush_at).toBeLessThanOrEqual(Date.now() + 500 + 50);
    expect(s.alarm).toBeLessThanOrEqual(s.flush_at!);
    await stub.ingest("demo", name, [record()]);
    expect((await stub.bufferState()).flush_at).toBe(s.flush_at);
    // Storage holds both chunks: the one in flight, unchanged, and the one the later beacons joined.
    expect((await onDisk(stub)).chunks.map((c) => c.records.length)).toEqual([1, 2]);
    await q.release();
    await runDurableObjectAlarm(stub); // the flush timer's alarm (unless it ran on its own already)
    const after = await eventually(async () => {
      const x = await stub.bufferState();
      return x.buffered === 0 ? x : null;
    }, { what: "an empty buffer", ms: 10_000 });
    expect(after).toMatchObject({ flush_attempt: 0, flush_at: null });
    expect(after.alarm).toBe(after.timers.session_end);
    expect((await q.sent()).map((x) => x.ids.length)).toEqual([1, 2]);
  });

  it("does not wait for the interval when the buffer reaches N events", async () => {
    const { name, stub } = stubFor();
    const q = await wrapQueue(stub, uid("q"), { hold: true });
    await stub.ingest("demo", name, [record()]);
    await eventually(async () => (await q.held()) === 1, { what: "the first send in flight", ms: 10_000 });
    await stub.ingest("demo", name, Array.from({ length: 50 }, () => record()));
    const after = Date.now();
    // FLUSH_MAX_EVENTS=50: due now rather than at the end of the 500 ms interval.
    expect((await stub.bufferState()).flush_at!).toBeLessThanOrEqual(after);
    await q.release();
  });

  it("moves chunks to buffer rows when the row would grow past its bound, and sends each chunk once", async () => {
    const { name, stub } = stubFor();
    const q = await wrapQueue(stub, uid("q"), { hold: true });
    const first = record();
    await stub.ingest("demo", name, [first]);
    await eventually(async () => (await q.held()) === 1, { what: "the first send in flight", ms: 10_000 });
    // ~600 KB waiting while the queue does not answer: more than the row may hold (256 KB).
    const all = [first];
    for (let b = 0; b < 10; b++) {
      const recs = Array.from({ length: 50 }, () => record({ props: { path: "/".padEnd(600, "x") } }));
      all.push(...recs);
      await stub.ingest("demo", name, recs);
    }
    const d = await onDisk(stub);
    expect(d.tables).toContain("buffer");
    expect(d.chunks.flatMap((c) => c.records).length).toBe(all.length);
    expect(JSON.stringify(d.doc).length).toBeLessThan(400_000);
    await q.release();
    await eventually(async () => {
      await runDurableObjectAlarm(stub);
      return (await stub.bufferState()).buffered === 0;
    }, { what: "everything sent", ms: 20_000, every: 200 });
    const sent = await q.sent();
    expect(new Set(sent.map((x) => x.chunk)).size).toBe(sent.length); // no chunk twice
    expect(sent.flatMap((x) => x.ids).sort()).toEqual(all.map((r) => r.id).sort());
    // Sent chunks leave the row with its next write, at the latest dropGraceMs after the send.
    await eventually(async () => (await onDisk(stub)).chunks.length === 0, { what: "the sent chunks out of the row", ms: 10_000 });
  });

  it("keeps the chunks when the queue refuses, backs off, and sends everything once it recovers", async () => {
    const { name, stub } = stubFor();
    await wrapQueue(stub, uid("q"), { fail: 2 });
    const t0 = Date.now();
    await stub.ingest("demo", name, [record(), record()]);
    let s = await eventually(async () => {
      const x = await stub.bufferState();
      return x.flush_attempt === 1 ? x : null;
    }, { what: "the first failed send", ms: 10_000 });
    expect(s.buffered).toBe(2);
    expect(s.alarm! - t0).toBeGreaterThanOrEqual(400); // backoff, not a hot loop
    // New events while backing off join a new chunk and do not pull the retry earlier.
    await stub.ingest("demo", name, [record()]);
    expect((await stub.bufferState()).alarm).toBe(s.alarm);
    await runDurableObjectAlarm(stub);
    s = await stub.bufferState();
    expect(s).toMatchObject({ buffered: 3, flush_attempt: 2 });
    await runDurableObjectAlarm(stub);
    expect(await stub.bufferState()).toMatchObject({ buffered: 0, flush_attempt: 0 });
  });

  it("re-sends a chunk under the same id, with the same records, after a failure", async () => {
    const { name, stub } = stubFor();
    const q = await wrapQueue(stub, uid("q"), { fail: 1 });
    const first = [record(), record()];
    await stub.ingest("demo", name, first);
    await eventually(async () => (await stub.bufferState()).flush_attempt === 1, { what: "the failed send", ms: 10_000 });
    const chunks = (await onDisk(stub)).chunks;
    expect(chunks).toHaveLength(1);
    await stub.ingest("demo", name, [record()]);
    await runDurableObjectAlarm(stub);
    const sent = await q.sent();
    expect(sent[0]).toEqual({ chunk: chunks[0]!.id, ids: first.map((r) => r.id) });
    expect(sent).toHaveLength(2); // the old chunk as it was, plus one for the new event
  });

  it("rolls back a failed ingest entirely", async () => {
    const { name, stub } = stubFor();
    // A BigInt cannot be serialised: the second record fails after the first was staged.
    const bad = record({ props: { n: 1n } as never });
    await runInDurableObject(stub, async (inst: UserProfile) => {
      await expect(inst.ingest("demo", name, [record(), bad])).rejects.toThrow(/BigInt/);
    });
    expect(await stub.bufferState()).toMatchObject({ buffered: 0, alarm: null });
    expect(await stub.getProfile()).toBeNull();
    const d = await onDisk(stub);
    expect(d.doc).toBeNull();
    expect(d.seen).toEqual([]);
    // The object is still usable, and takes the same good event afterwards.
    const good = record();
    expect(await stub.ingest("demo", name, [good])).toMatchObject({ accepted: 1 });
  });
});
