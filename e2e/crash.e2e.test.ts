/**
 * Crash semantics of the local collector: `wrangler dev` (what `npm run dev` runs, state under
 * --persist-to) is killed with SIGKILL in the middle of a load, then started again on the same
 * state. What was on disk in the users' Durable Objects at the kill (read straight from their
 * SQLite files while the process is dead) is the set of accepted events whose flush had not
 * been handed to the queue: each of them must reach the lake exactly once after the restart.
 * No event may be in the lake twice, and every profile counts each of its events once.
 * Events that had been handed to Miniflare's in-memory queue and not yet written to R2 are lost
 * locally (README "Crash semantics"): the test counts them and checks they are only those.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../test/eventually";
import { ADMIN_TOKEN, startCollector, type Collector } from "./support/collector";

const USERS = 40;
const PER_BEACON = 5;
const CLIENTS = 6;

interface Beacon {
  user: string;
  body: string;
  ids: string[];
  /** Answer of the collector: null while unanswered (in flight at the kill, or failed). */
  answer: { accepted: number; duplicates: number } | null;
  afterRestart: boolean;
}

let c: Collector;
beforeAll(async () => {
  // Flushes every second or 25 events, so the queue and R2 are busy when the kill comes.
  c = await startCollector({ flushIntervalMs: 1000, vars: { FLUSH_MAX_EVENTS: "25" } });
});
afterAll(async () => {
  await c?.stop();
});

function beacon(run: string, n: number): Beacon {
  const user = `crash-${run}-u${n % USERS}`;
  const now = new Date().toISOString();
  const events = Array.from({ length: PER_BEACON }, (_, k) => ({ id: `${run}-b${n}-e${k}`, type: k % 2 ? "product_view" : "page_view", ts: now, props: k % 2 ? { product_id: `sku-${(n + k) % 30}` } : { path: `/p/${n}` } }));
  return { user, ids: events.map((e) => e.id), body: JSON.stringify({ site: "demo", anonymous_id: user, session_id: "s-1", sent_at: now, events }), answer: null, afterRestart: false };
}

async function send(b: Beacon): Promise<void> {
  try {
    const res = await fetch(`${c.url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain" }, body: b.body, signal: AbortSignal.timeout(15_000) });
    if (res.status === 202) b.answer = (await res.json()) as Beacon["answer"];
  } catch {
    // connection reset by the kill, or refused: unanswered, a real client retries it
  }
}

/** Ids in the users' outboxes and dedup memory, read from the objects' SQLite files (copied: the process is dead). */
function onDisk(persist: string): { buffered: Set<string>; seen: Set<string> } {
  const dir = join(persist, "v3", "do", "edge-collector-UserProfile");
  const tmp = mkdtempSync(join(tmpdir(), "crash-sqlite-"));
  const buffered = new Set<string>();
  const seen = new Set<string>();
  try {
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
      for (const ext of ["", "-wal", "-shm"]) if (existsSync(join(dir, f + ext))) copyFileSync(join(dir, f + ext), join(tmp, f + ext));
      const db = new DatabaseSync(join(tmp, f));
      try {
        const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
        // The state row (durable-objects/state-row.ts): recent ids and the chunks not known to be
        // sent (a chunk the queue took stays until the row's next write, and is sent again, same id).
        if (tables.has("state")) {
          for (const row of db.prepare("SELECT v FROM state").all() as { v: string }[]) {
            const doc = JSON.parse(row.v) as { seen?: [number, string[]][]; outbox?: { records: { id: string }[] }[] };
            for (const [, ids] of doc.seen ?? []) for (const id of ids) seen.add(id);
            for (const c of doc.outbox ?? []) for (const r of c.records) buffered.add(r.id);
          }
        }
        if (tables.has("seen_log")) for (const row of db.prepare("SELECT ids FROM seen_log").all() as { ids: string }[]) for (const id of JSON.parse(row.ids) as string[]) seen.add(id);
        if (tables.has("buffer")) for (const row of db.prepare("SELECT rec FROM buffer").all() as { rec: string }[]) for (const r of JSON.parse(row.rec) as { id: string }[]) buffered.add(r.id);
      } finally {
        db.close();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { buffered, seen };
}

/** Every event id in events/site=demo/ and how often it is there (objects are read once: they are immutable). */
const objects = new Map<string, string[]>();
async function lakeIds(): Promise<Map<string, number>> {
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  let cursor = "";
  do {
    const res = await fetch(`${c.url}/v1/admin/lake?prefix=events/site=demo/${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers: auth });
    for (const { key } of (await res.json()) as { key: string }[]) {
      if (objects.has(key)) continue;
      const text = await (await fetch(`${c.url}/v1/admin/lake/${key}`, { headers: auth })).text();
      objects.set(key, text.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id));
    }
    cursor = res.headers.get("x-cursor") ?? "";
  } while (cursor);
  const count = new Map<string, number>();
  for (const ids of objects.values()) for (const id of ids) count.set(id, (count.get(id) ?? 0) + 1);
  return count;
}

describe("kill -9 of the local collector under load", () => {
  it("brings every buffered event to the lake exactly once after a restart on the same state, and counts each event once in the profiles", async () => {
    const run = Date.now().toString(36);
    const beacons: Beacon[] = [];
    let n = 0;
    let stopLoad = false;
    const client = async () => {
      while (!stopLoad) {
        const b = beacon(run, n++);
        beacons.push(b);
        await send(b);
      }
    };
    const load = Array.from({ length: CLIENTS }, client);

    // Kill once flushes have reached R2 and the load has gone on for a while after that.
    await eventually(async () => (await lakeIds()).size > 0 && beacons.filter((b) => b.answer).length >= 150, { what: "first events in the lake under load", ms: 60_000, every: 200 });
    await new Promise((r) => setTimeout(r, 1500));
    await c.kill("SIGKILL");
    stopLoad = true;
    await Promise.all(load);
    const beforeKill = beacons.filter((b) => b.answer);
    const disk = onDisk(c.stateDir);

    await c.restart();
    // Clients retry what was not answered (in flight at the kill).
    for (const b of beacons.filter((b) => !b.answer)) {
      b.afterRestart = true;
      await eventually(async () => (await send(b), b.answer), { what: `beacon ${b.ids[0]} answered after the restart`, ms: 30_000, every: 250 });
    }
    const acceptedAfter = beacons.filter((b) => b.afterRestart).flatMap((b) => b.ids).filter((id) => !disk.seen.has(id));
    const mustArrive = new Set([...disk.buffered, ...acceptedAfter]);
    const lake = await eventually(async () => {
      const ids = await lakeIds();
      return [...mustArrive].every((id) => ids.has(id)) ? ids : null;
    // A chunk the queue took stays in its object's row until the row's next write (up to 8 s):
    // if the kill came first, the restarted object sends it again. If a consumer had claimed it
    // at the ledger and died before writing, that claim's lease (CLAIM_LEASE_MS, 2 min) must
    // run out before the chunk is written: so up to about 3 minutes.
    }, { what: "buffered events in the lake after the restart", ms: 240_000, every: 1000 });

    // Exactly once: nothing twice; what was on disk, or accepted after the restart, is there once.
    const twice = [...lake].filter(([, k]) => k > 1);
    expect(twice).toEqual([]);
    for (const id of mustArrive) expect(lake.get(id), id).toBe(1);
    // What is missing was handed to the in-memory queue before the kill (seen, no longer buffered), nothing else.
    const answeredIds = beforeKill.flatMap((b) => b.ids);
    const missing = answeredIds.filter((id) => !lake.has(id));
    for (const id of missing) {
      expect(disk.seen.has(id), `${id} accepted`).toBe(true);
      expect(disk.buffered.has(id), `${id} still buffered at the kill`).toBe(false);
    }

    // Profiles count each event once, whatever was lost downstream.
    const sent = new Map<string, Set<string>>();
    for (const b of beacons) for (const id of b.ids) (sent.get(b.user) ?? sent.set(b.user, new Set()).get(b.user)!).add(id);
    for (const [user, ids] of sent) {
      const p = await c.profile("demo", user);
      const total = Object.values(p!.counts).reduce((a, x) => a + x, 0);
      expect(total, user).toBe(ids.size);
    }

    const events = beacons.length * PER_BEACON;
    console.log(
      `crash: ${beacons.length} beacons (${events} events), ${beforeKill.length} answered 202 before the kill, ${beacons.filter((b) => b.afterRestart).length} retried after the restart; ` +
        `at the kill ${disk.buffered.size} events buffered on disk (all reached the lake once), ${missing.length} events lost with the in-memory queue, ${lake.size} events in the lake, 0 duplicates`,
    );
    expect(disk.buffered.size).toBeGreaterThan(0);
  }, 420_000);
});
