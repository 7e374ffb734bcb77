/**
 * Erasure reaches the lake: applies the deletion records (deletions/) to events/, rejected/,
 * deadletter/ and parquet/, rewriting each affected object without the erased person's lines
 * (rows, for Parquet generations: worker/lake/parquet-purge.ts). Run by the
 * purge Cron Trigger (worker/scheduled.ts) and by POST /v1/admin/lake/purge: the same code.
 *
 * Exactly once, resumable (see durable-objects/purge-ledger.ts): one run at a time (lease);
 * each rewrite is deterministic (the same lines out, in the same order), conditional on the
 * object being what was read (R2 etag), and announced to the ledger before it is written
 * (intent) and confirmed after (done). A run that dies anywhere leaves the lake with every
 * object either as it was or without the person's lines, never with anyone else's lines lost
 * or doubled, and the next run finishes the work and counts each removal once.
 *
 * Cost: each run lists the prefixes of the sites with open deletions and reads only objects
 * that a deletion has not checked yet (uploaded after its watermark), at most `maxObjects`.
 */
import { erasureRecordOf } from "../../durable-objects/erasure";
import { ACTIVE_MS, type DeletionRow, type PurgeLedger, type Scan, type ScanTask } from "../../durable-objects/purge-ledger";
import { gunzip, gzip } from "../lib/lake";
import { log } from "../../durable-objects/lib/log";
import { Delta } from "../metrics/delta";
import { report } from "../metrics/report";
import { bump } from "../../durable-objects/lib/metric-tree";
import { deletionsFor, filterLines, type Deletion } from "./erasure-filter";
import { filterParquet } from "./parquet-purge";

/** Objects uploaded less than this before a scan started are checked again by the next scan (clock skew, writes in flight). */
export const WATERMARK_MARGIN_MS = 10 * 60_000;
export const DEFAULT_MAX_OBJECTS = 2000;

export interface PurgeResult {
  deletions_applied: number;
  objects_rewritten: number;
  events_removed: number;
  /** Objects read by this run. */
  objects_scanned: number;
  /** False when the run stopped at its budget: the next run continues where it stopped. */
  complete: boolean;
  /** Deletion records not applied to the whole lake yet. */
  pending_deletions: number;
}

export interface PurgeOptions {
  now?: number;
  /** Most objects read in one run (PURGE_MAX_OBJECTS, default 2000). */
  maxObjects?: number;
  /** The bucket to purge (tests wrap it to inject faults); default env.LAKE. */
  lake?: R2Bucket;
}

export function purgeLedger(env: Env): DurableObjectStub<PurgeLedger> {
  return env.PURGE.get(env.PURGE.idFromName("lake"));
}

export class PurgeBusy extends Error {
  constructor(readonly holder: string | null) {
    super("a purge run is already in progress");
  }
}

/** Where a person's events can be: per site, and the dead letters of every site. */
export function scanTasks(sites: readonly string[]): ScanTask[] {
  const tasks: ScanTask[] = [];
  for (const site of [...new Set(sites)].sort()) {
    tasks.push({ prefix: `events/site=${site}/`, kind: "events", site });
    tasks.push({ prefix: `rejected/site=${site}/`, kind: "rejected", site });
    tasks.push({ prefix: `parquet/site=${site}/`, kind: "parquet", site });
  }
  tasks.push({ prefix: "deadletter/", kind: "deadletter", site: null });
  return tasks;
}

async function* listAll(lake: R2Bucket, prefix: string, startAfter: string | null) {
  let cursor: string | undefined;
  for (;;) {
    const page = await lake.list({ prefix, cursor, ...(cursor ? {} : startAfter ? { startAfter } : {}), limit: 1000 });
    for (const o of page.objects) yield o;
    if (!page.truncated) return;
    cursor = page.cursor;
  }
}

/** New deletion records in the lake -> the ledger; returns the open ones. */
async function discover(lake: R2Bucket, ledger: DurableObjectStub<PurgeLedger>, now: number): Promise<DeletionRow[]> {
  const keys: string[] = [];
  for await (const o of listAll(lake, "deletions/", null)) keys.push(o.key);
  const found: { key: string; record: NonNullable<ReturnType<typeof erasureRecordOf>> }[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    const known = new Set(await ledger.known(batch));
    for (const key of batch.filter((k) => !known.has(k))) {
      const obj = await lake.get(key);
      const record = obj ? erasureRecordOf(await obj.text().then((t) => safeJson(t))) : null;
      if (record) found.push({ key, record });
      else log("purge: not a deletion record", { key });
    }
  }
  return ledger.register(found, now);
}

const safeJson = (t: string): unknown => {
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
};

interface Tally {
  objectsRewritten: number;
  eventsRemoved: number;
  objectsScanned: number;
  /** For the metrics: site -> counters. */
  bySite: Map<string, { objects: number; events: number; deletions: number }>;
  /** Deletions that removed something in this run (their purge records are rewritten). */
  touched: Set<string>;
}

/** One object: read, filter, and rewrite (with intent and done) when any of its lines go. */
async function purgeObject(c: Ctx, task: ScanTask, key: string, due: Deletion[], hadIntent: boolean): Promise<void> {
  const { lake, ledger, tally, now } = c;
  for (let attempt = 0; ; attempt++) {
    const obj = await lake.get(key);
    if (!obj) return; // gone (a lifecycle rule): nothing to purge
    tally.objectsScanned++;
    const bytes = new Uint8Array(await obj.arrayBuffer());
    const intent = hadIntent ? await ledger.intentOf(key) : null;
    const deletions = [...due];
    for (const k of Object.keys(intent ?? {})) {
      const d = c.open.get(k);
      if (d && !deletions.some((x) => x.key === k)) deletions.push({ key: k, record: d.record });
    }
    const f = await rewrite(task, key, bytes, deletions);
    if (intent && Object.keys(intent).every((k) => !f.removed.has(k))) {
      // The earlier run's rewrite reached R2 before it died: count it now, once.
      count(c, task, intent, await ledger.done(key, now));
    }
    if (f.removed.size === 0) return;
    const removed = Object.fromEntries(f.removed);
    await ledger.intend(key, removed, now);
    const meta = obj.customMetadata ?? {};
    const purged = Number(meta.purged_events ?? 0) + [...f.removed.values()].reduce((a, b) => a + b, 0);
    const put = await lake.put(key, f.body!, {
      onlyIf: { etagMatches: obj.etag },
      httpMetadata: obj.httpMetadata,
      customMetadata: { ...meta, ...(meta.events !== undefined ? { events: String(f.kept) } : {}), purged_events: String(purged) },
    });
    if (put === null) {
      // Someone else changed the object since it was read: read it again.
      if (attempt >= 2) throw new Error(`purge: ${key} keeps changing while being rewritten`);
      hadIntent = true;
      continue;
    }
    count(c, task, removed, await ledger.done(key, now));
    log("purge rewrote object", { key, removed: Object.values(removed).reduce((a, b) => a + b, 0) });
    return;
  }
}

/** The object without the deletions' lines (NDJSON, gzip or not) or rows (Parquet); body null when nothing goes. */
async function rewrite(task: ScanTask, key: string, bytes: Uint8Array, deletions: Deletion[]): Promise<{ body: Uint8Array | string | null; kept: number; removed: Map<string, number> }> {
  if (task.kind === "parquet") {
    if (!key.endsWith(".parquet")) return { body: null, kept: 0, removed: new Map() };
    const p = await filterParquet(bytes, deletions);
    return { body: p.bytes, kept: p.kept, removed: p.removed };
  }
  const gz = key.endsWith(".gz");
  const f = filterLines(task.kind, gz ? await gunzip(bytes) : new TextDecoder().decode(bytes), deletions);
  return { body: f.removed.size ? (gz ? await gzip(f.text) : f.text) : null, kept: f.kept, removed: f.removed };
}

function siteTally(t: Tally, site: string) {
  let s = t.bySite.get(site);
  if (!s) t.bySite.set(site, (s = { objects: 0, events: 0, deletions: 0 }));
  return s;
}

function count(c: Ctx, task: ScanTask, removed: Record<string, number>, d: { objects: number; events: number }) {
  if (d.objects === 0) return;
  c.tally.objectsRewritten += d.objects;
  c.tally.eventsRemoved += d.events;
  const sites = new Set<string>();
  for (const [deletion, n] of Object.entries(removed)) {
    c.tally.touched.add(deletion);
    const site = c.open.get(deletion)?.site ?? task.site ?? "_unknown";
    siteTally(c.tally, site).events += n;
    sites.add(site);
  }
  for (const site of task.site ? [task.site] : sites) siteTally(c.tally, site).objects += 1;
}

interface Ctx {
  run: string;
  lake: R2Bucket;
  ledger: DurableObjectStub<PurgeLedger>;
  open: Map<string, DeletionRow>;
  tally: Tally;
  maxObjects: number;
  now: number;
}

/** Applies the open deletion records to the lake (or continues the scan in progress). */
export async function runPurge(env: Env, opts: PurgeOptions = {}): Promise<PurgeResult> {
  const now = opts.now ?? Date.now();
  const lake = opts.lake ?? env.LAKE;
  const maxObjects = opts.maxObjects ?? (Number(env.PURGE_MAX_OBJECTS) > 0 ? Number(env.PURGE_MAX_OBJECTS) : DEFAULT_MAX_OBJECTS);
  const ledger = purgeLedger(env);
  const run = crypto.randomUUID();
  const lease = await ledger.acquire(run, now);
  if (!lease.ok) throw new PurgeBusy(lease.holder);
  const tally: Tally = { objectsRewritten: 0, eventsRemoved: 0, objectsScanned: 0, bySite: new Map(), touched: new Set() };
  let applied = 0;
  let complete = true;
  let open: DeletionRow[] = [];
  try {
    open = await discover(lake, ledger, now);
    const c: Ctx = { run, lake, ledger, open: new Map(open.map((d) => [d.key, d])), tally, maxObjects, now };
    let created = false;
    while (tally.objectsScanned < maxObjects) {
      let scan = (await ledger.scan()) as Scan | null;
      if (!scan) {
        if (created || open.length === 0) break;
        scan = { id: run, deletions: open.map((d) => d.key), watermark: now - WATERMARK_MARGIN_MS, tasks: scanTasks(open.map((d) => d.site)), task: 0, after: null, started_at: new Date(now).toISOString() };
        await ledger.saveScan(run, scan);
        created = true;
      }
      const finished = await continueScan(c, scan);
      if (!finished) {
        complete = false;
        break;
      }
      const first = await ledger.completeScan(scan.id, now);
      applied += first.length;
      for (const k of first) {
        tally.touched.add(k);
        siteTally(tally, c.open.get(k)?.site ?? "_unknown").deletions += 1;
      }
      for (const k of tally.touched) await writePurgeRecord(lake, ledger, k);
      tally.touched.clear();
    }
  } finally {
    const summary = { run, at: new Date(now).toISOString(), deletions_applied: applied, objects_rewritten: tally.objectsRewritten, events_removed: tally.eventsRemoved, objects_scanned: tally.objectsScanned, complete };
    await ledger.release(run, summary).catch(() => {});
    // What was counted in the ledger is counted in the metrics too, also when the run fails.
    await report(env, purgeMetrics(tally, Date.now()));
  }
  const status = await ledger.status();
  const result = { deletions_applied: applied, objects_rewritten: tally.objectsRewritten, events_removed: tally.eventsRemoved, objects_scanned: tally.objectsScanned, complete, pending_deletions: status.pending_deletions };
  log("purge run", { ...result, open_deletions: open.length });
  return result;
}

/** Goes through the scan's tasks from its cursor; false when the budget ran out first. */
async function continueScan(c: Ctx, scan: Scan): Promise<boolean> {
  const intents = new Set(await c.ledger.intents()); // left by a run that died mid-rewrite
  const inScan = scan.deletions.map((k) => c.open.get(k)).filter((d): d is DeletionRow => !!d);
  let sinceSave = 0;
  for (; scan.task < scan.tasks.length; scan.task++, scan.after = null) {
    const task = scan.tasks[scan.task]!;
    const mine = inScan.filter((d) => task.site === null || d.site === task.site);
    for await (const o of listAll(c.lake, task.prefix, scan.after)) {
      // Only deletions that have not checked this object yet (it was uploaded after their watermark).
      const unchecked = mine.filter((d) => d.checked_through === null || o.uploaded.getTime() >= d.checked_through);
      const due = deletionsFor(o.key, task.kind, unchecked.map((d) => ({ key: d.key, record: d.record })));
      if (due.length > 0 || intents.has(o.key)) {
        if (c.tally.objectsScanned >= c.maxObjects) {
          await c.ledger.saveScan(c.run, scan);
          return false;
        }
        await purgeObject(c, task, o.key, due, intents.has(o.key));
      }
      scan.after = o.key;
      if (++sinceSave >= 50) {
        await c.ledger.saveScan(c.run, scan);
        sinceSave = 0;
      }
    }
  }
  await c.ledger.saveScan(c.run, scan);
  return true;
}

/** purges/<the deletion record's path>: what was removed from which object (counts and keys only). */
async function writePurgeRecord(lake: R2Bucket, ledger: DurableObjectStub<PurgeLedger>, deletionKey: string): Promise<void> {
  const r = await ledger.report(deletionKey);
  if (!r) return;
  const d = r.deletion;
  const doc = {
    type: "purge",
    deletion: d.key,
    site: d.site,
    id: d.record.id,
    requested_at: d.requested_at,
    applied_at: d.applied_at,
    checked_through: d.checked_through === null ? null : new Date(d.checked_through).toISOString(),
    active_until: new Date(Date.parse(d.requested_at) + ACTIVE_MS).toISOString(),
    objects_rewritten: d.objects_rewritten,
    events_removed: d.events_removed,
    objects: r.objects,
  };
  await lake.put(`purges/${d.key.slice("deletions/".length)}`, JSON.stringify(doc), { httpMetadata: { contentType: "application/json" } });
}

function purgeMetrics(t: Tally, now: number): Delta {
  const delta = new Delta();
  for (const [site, s] of t.bySite) {
    const row = delta.row(site, now);
    if (s.deletions) bump(row, ["purge_deletions_applied"], s.deletions);
    if (s.objects) bump(row, ["purge_objects_rewritten"], s.objects);
    if (s.events) bump(row, ["purge_events_removed"], s.events);
  }
  return delta;
}
