/**
 * One object per (site, user): exact dedup by event id, the rolling profile, a durable buffer
 * flushed to the Queue, per-user timers, identity merge, live subscribers and erasure.
 * Called by RPC from the worker (and by other profile objects for merges and forwards).
 *
 * Everything `ingest` writes happens synchronously on SQLite inside one transaction, so the
 * worker's 202 means the events are on disk. One alarm serves every timer: the `timers` table
 * holds the due time of each (flush, session_end, cart_abandoned, prune) and the alarm is set
 * to the earliest; each alarm run does whatever is due.
 */
import { DurableObject } from "cloudflare:workers";
import { alarmTime, type FlushChunk, type StoredRecord } from "../schemas";
import { tuning, type Env, type Tuning } from "../worker/env";
import { fault, InjectedFault } from "../worker/faults";
import { sites } from "../worker/sites";
import { backoffMs } from "./backoff";
import { emptyBotState, scoreEvent, type BotState } from "./bot-score";
import { consentStep, HOLD_MAX_AGE_MS, HOLD_MAX_EVENTS, type ConsentState } from "./consent";
import { MAX_BATCH_BYTES, MAX_BATCH_MESSAGES, MAX_MESSAGE_BYTES, splitBySize } from "./chunks";
import { erasureKey, tombstoneHash, type ErasureRecord } from "./erasure";
import { mergeProfiles } from "./merge";
import { applyEvent, emptyProfile, upgradeProfile, viewProfile, type Profile, type ProfileView } from "./profile";
import { afterFlush, noteDuplicates, pendingStats } from "./stats";
import { profileStub } from "./stub";
import { Subscribers } from "./subscribers";
import { dueTimerEvents, timerRecord, timersOf, type TimerConfig } from "./timers";

export interface IngestResult {
  accepted: number;
  duplicates: number;
  duplicate_ids: string[];
}

export interface IngestOptions {
  /** Set when an anonymous object that was merged into this user forwards its beacon. */
  forwardedFrom?: string;
  hops?: number;
  /** The beacon's consent, for sites with consent_mode "required" (consent.ts). */
  consent?: ConsentState;
}

/** The profile as readers and subscribers get it: the pure view plus bot and consent state. */
export type LiveProfileView = ProfileView & { bot: { score: number; reasons: string[] }; consent: { state: ConsentState; held_events: number } };

export interface FlushResult {
  sent: number;
  remaining: number;
  error?: string;
}

/** What an anonymous object hands over to the user it is merged into. */
export interface MergeSnapshot {
  outcome: "merged" | "elsewhere";
  /** The user this anonymous id belongs to (the first one that claimed it). */
  into: string;
  profile: Profile | null;
  seen: { id: string; at: number }[];
}

export interface ErasureResult {
  id: string;
  anonymous_ids: string[];
  deletion_record: string | null;
  objects: number;
  buffered_events_dropped: number;
}

type TimerKey = "flush" | "session_end" | "cart_abandoned" | "prune";

const PRUNE_EVERY_MS = 3_600_000;
const MAX_HOPS = 1;

export class UserProfile extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly cfg: Tuning;
  private readonly subs: Subscribers;
  private profile: Profile | null | undefined;
  private flushAttempt: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.cfg = tuning(env);
    this.subs = new Subscribers(ctx);
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS buffer (seq INTEGER PRIMARY KEY, chunk TEXT, n INTEGER NOT NULL, bytes INTEGER NOT NULL, rec TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS timers (name TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS merged (anon_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS tombstone (h TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS held (id TEXT PRIMARY KEY, at INTEGER NOT NULL, rec TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.flushAttempt = Number(this.meta("flush_attempt") ?? 0);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  // --- ingest and identity -------------------------------------------------------------------

  /** Dedup, merge, timers, profile, buffer: all or nothing; then flush scheduling and push. */
  async ingest(site: string, id: string, records: StoredRecord[], opts: IngestOptions = {}): Promise<IngestResult> {
    const hops = opts.hops ?? 0;
    const into = this.meta("merged_into");
    if (into && into !== id && hops < MAX_HOPS) {
      // This anonymous id belongs to a user now: their object takes the beacon (and dedups it).
      // The ids are remembered here too, so that after an erasure a retry stays erased.
      const now = Date.now();
      this.ctx.storage.transactionSync(() => {
        for (const r of records) this.markSeen(r.id, now);
        this.planPrune(now);
      });
      await this.armAlarm();
      return profileStub(this.env, site, into).ingest(site, into, records, { forwardedFrom: id, hops: hops + 1, consent: opts.consent });
    }
    const snapshots = await this.collectMerges(site, id, records, opts.forwardedFrom);

    const now = Date.now();
    const result = this.ctx.storage.transactionSync(() => {
      this.staged = []; // nothing from a rolled-back transaction
      this.claim(site, id);
      let profile = this.loadProfile();
      const merged: string[] = [];
      for (const [anon, snap] of snapshots) {
        if (this.sql.exec("SELECT 1 FROM merged WHERE anon_id = ?", anon).toArray().length) continue; // a concurrent ingest merged it
        this.sql.exec("INSERT INTO merged (anon_id, outcome, at) VALUES (?, ?, ?)", anon, snap.outcome === "merged" ? "merged" : `elsewhere:${snap.into}`, now);
        if (snap.outcome !== "merged") continue;
        // The anonymous object's event ids come along, so its retries stay duplicates here.
        for (const s of snap.seen) this.sql.exec("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", s.id, s.at);
        if (snap.profile) profile = mergeProfiles(profile ?? emptyProfile(site, id), upgradeProfile(snap.profile), this.cfg.halfLifeMs);
        merged.push(anon);
      }

      const tomb = this.hasTombstones();
      const fresh: StoredRecord[] = [];
      const duplicate_ids: string[] = [];
      for (const r of records) {
        if (tomb && this.sql.exec("SELECT 1 FROM tombstone WHERE h = ?", tombstoneHash(r.id)).toArray().length) {
          duplicate_ids.push(r.id); // an event of an erased profile, retried: it stays erased
          continue;
        }
        if (!this.markSeen(r.id, now)) {
          duplicate_ids.push(r.id);
          continue;
        }
        fresh.push(r);
      }
      // Consent first: held events are neither profiled nor sent; denial purges them.
      const { process, denied } = this.applyConsent(site, fresh, opts.consent, now);
      const applied: StoredRecord[] = [];
      if (process.length || merged.length) {
        const p = profile ? structuredClone(profile) : emptyProfile(site, id);
        const tc = this.timerConfig(site);
        const guard = this.botGuard(site);
        // Event-time order keeps "latest" fields right when a batch arrives out of order.
        process.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
        for (const r of process) {
          // A timer that fell due before this event (a late batch) fires first.
          applied.push(...this.fireTimers(p, Date.parse(r.ts), now, tc));
          if (!guard.score(r, p)) continue; // a bot, on a site that drops them
          this.buffer(r);
          applyEvent(p, r, this.cfg.halfLifeMs, tc.sessionTimeoutMs);
          applied.push(r);
        }
        guard.save();
        this.writeBuffer();
        this.saveProfile(p);
        this.syncTimers(p, tc);
        if (this.buffered() > 0) this.planFlush(now);
        this.planPrune(now);
        profile = p;
      }
      noteDuplicates(this.sql, duplicate_ids.length, now);
      // Duplicates alone also need a flush: it reports their count (stats.ts).
      if (duplicate_ids.length) this.planFlush(now);
      return { accepted: fresh.length - denied, duplicates: duplicate_ids.length, duplicate_ids, profile: applied.length || merged.length ? profile : null, applied, merged };
    });
    if (result.profile) {
      this.profile = result.profile;
      this.push(result.applied);
    }
    if (result.profile || result.duplicates) await this.armAlarm();
    for (const anon of result.merged) {
      // The anonymous object may now drop its copy; if this fails it keeps a frozen copy, no harm.
      await profileStub(this.env, site, anon).mergeDone(id).catch(() => {});
    }
    return { accepted: result.accepted, duplicates: result.duplicates, duplicate_ids: result.duplicate_ids };
  }

  /**
   * Called on an anonymous object by the user's object. The first user to claim it wins: the
   * pointer `merged_into` is durable, and later anonymous-only beacons are forwarded there.
   * Idempotent: until the user confirms (mergeDone), the same snapshot is returned again.
   */
  async mergeInto(site: string, id: string, userId: string): Promise<MergeSnapshot> {
    const snap = this.ctx.storage.transactionSync((): MergeSnapshot => {
      const into = this.meta("merged_into");
      if (into && into !== userId) return { outcome: "elsewhere", into, profile: null, seen: [] };
      if (!into) {
        this.claim(site, id);
        this.setMeta("merged_into", userId);
        // The user's object owns the session and the cart from now on.
        this.sql.exec("DELETE FROM timers WHERE name IN ('session_end', 'cart_abandoned')");
      }
      const seen = this.sql.exec<{ id: string; at: number }>("SELECT id, at FROM seen").toArray();
      return { outcome: "merged", into: userId, profile: this.loadProfile(), seen };
    });
    await this.armAlarm();
    return snap;
  }

  /**
   * The user's object holds the merged copy: drop ours. The buffer still flushes from here,
   * and the event ids stay (until the dedup TTL) so that an erasure can tombstone them.
   * Subscribers are told and disconnected: reconnecting here reaches the user's stream.
   */
  async mergeDone(userId: string): Promise<void> {
    if (this.meta("merged_into") !== userId) return;
    this.sql.exec("DELETE FROM meta WHERE k = 'profile'");
    this.profile = null;
    this.subs.closeAll("merged", { type: "merged", events: [], profile: { into: userId } });
  }

  // --- reading and subscribing ---------------------------------------------------------------

  async getProfile(): Promise<LiveProfileView | null> {
    const into = this.meta("merged_into");
    if (into) return profileStub(this.env, this.meta("site")!, into).getProfile();
    return this.view();
  }

  /** GET <anything>/stream?site=&id= with or without `Upgrade: websocket`. */
  override async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (!url.pathname.endsWith("/stream")) return Response.json({ error: "not found" }, { status: 404 });
    const into = this.meta("merged_into");
    if (into) return profileStub(this.env, this.meta("site")!, into).fetch(req);
    const first = { type: "profile" as const, events: [], profile: this.view() };
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") return this.subs.openWebSocket(first);
    return this.subs.openSse(first);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // "profile" asks for the current profile; anything else is ignored ("ping" is auto-answered).
    if (message === "profile") ws.send(JSON.stringify({ type: "profile", seq: 0, at: new Date().toISOString(), events: [], profile: this.view() }));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "bye");
    } catch {}
  }

  /** Buffered (not yet queued) events, flush and timer state: for tests and operators. */
  async bufferState(): Promise<{ buffered: number; flush_attempt: number; flush_at: number | null; alarm: number | null; timers: Record<string, number>; subscribers: number }> {
    return {
      buffered: this.buffered(),
      flush_attempt: this.flushAttempt,
      flush_at: this.timers().flush ?? null,
      alarm: await this.ctx.storage.getAlarm(),
      timers: this.timers(),
      subscribers: this.subs.count,
    };
  }

  // --- erasure and access --------------------------------------------------------------------

  /** Everything this object (and the anonymous objects merged into it) holds about the person. */
  async exportAll(site: string, id: string, fromUser?: string): Promise<Record<string, unknown> | null> {
    const into = this.meta("merged_into");
    if (into && !fromUser) return profileStub(this.env, site, into).exportAll(site, into);
    if (!this.holdsAnything()) return null;
    const merged = this.sql.exec<{ anon_id: string; outcome: string; at: number }>("SELECT anon_id, outcome, at FROM merged").toArray();
    const mergedObjects = [];
    for (const m of merged) {
      if (m.outcome === "merged") mergedObjects.push(await profileStub(this.env, site, m.anon_id).exportAll(site, m.anon_id, id));
    }
    return {
      site,
      id,
      exported_at: new Date().toISOString(),
      profile: this.view(),
      merged_into: into,
      merged_anonymous_ids: merged.map((m) => ({ anonymous_id: m.anon_id, outcome: m.outcome, at: new Date(m.at).toISOString() })),
      buffered_events: this.sql.exec<{ rec: string }>("SELECT rec FROM buffer ORDER BY seq").toArray().flatMap((r) => JSON.parse(r.rec) as StoredRecord[]),
      consent: this.meta("consent") ?? "unknown",
      held_events: this.sql.exec<{ rec: string }>("SELECT rec FROM held ORDER BY at").toArray().map((r) => JSON.parse(r.rec) as StoredRecord),
      event_ids: this.sql.exec<{ id: string; at: number }>("SELECT id, at FROM seen ORDER BY at").toArray().map((r) => ({ id: r.id, at: new Date(r.at).toISOString() })),
      timers: Object.fromEntries(Object.entries(this.timers()).map(([k, v]) => [k, new Date(v).toISOString()])),
      merged_objects: mergedObjects.filter(Boolean),
      lake: `Events already flushed are in the lake under events/site=${site}/ (match user_id or anonymous_id).`,
    };
  }

  /**
   * Erases the profile, buffer, event ids, timers and identity links of this person, in this
   * object and in every anonymous object merged into it, after writing a deletion record (ids
   * only, never the profile) to the lake. Event ids are kept only as SHA-256 hashes until the
   * dedup TTL ends, so a client retrying an old beacon cannot bring the profile back.
   */
  async erase(site: string, id: string, fromUser?: string): Promise<ErasureResult | null> {
    const into = this.meta("merged_into");
    if (into && !fromUser) return profileStub(this.env, site, into).erase(site, into);
    if (!this.holdsAnything()) return null;
    const merged = this.sql.exec<{ anon_id: string; outcome: string }>("SELECT anon_id, outcome FROM merged").toArray();
    const profile = this.loadProfile();
    const anonymous_ids = [...new Set([...(profile?.anonymous_ids ?? []), ...merged.map((m) => m.anon_id)])];
    let key: string | null = null;
    if (!fromUser) {
      const requested_at = new Date().toISOString();
      key = erasureKey(site, id, requested_at);
      const rec: ErasureRecord = { type: "erasure", site, id, user_id: profile?.user_id ?? null, anonymous_ids, requested_at };
      await this.env.LAKE.put(key, JSON.stringify(rec), { httpMetadata: { contentType: "application/json" } });
    }
    let objects = 1;
    let dropped = 0;
    for (const m of merged) {
      if (m.outcome !== "merged") continue;
      const r = await profileStub(this.env, site, m.anon_id).erase(site, m.anon_id, id);
      if (r) {
        objects += r.objects;
        dropped += r.buffered_events_dropped;
      }
    }
    const now = Date.now();
    dropped += this.ctx.storage.transactionSync(() => {
      const n = this.buffered();
      for (const s of this.sql.exec<{ id: string; at: number }>("SELECT id, at FROM seen").toArray()) {
        this.sql.exec("INSERT OR IGNORE INTO tombstone (h, at) VALUES (?, ?)", tombstoneHash(s.id), s.at);
      }
      this.sql.exec("DELETE FROM seen");
      this.sql.exec("DELETE FROM buffer");
      this.sql.exec("DELETE FROM held");
      this.sql.exec("DELETE FROM merged");
      this.sql.exec("DELETE FROM timers");
      this.sql.exec("DELETE FROM meta");
      this.planPrune(now);
      return n;
    });
    this.profile = null;
    this.flushAttempt = 0;
    await this.armAlarm();
    this.subs.closeAll("profile erased", { type: "erased", events: [], profile: null });
    return { id, anonymous_ids, deletion_record: key, objects, buffered_events_dropped: dropped };
  }

  // --- the alarm: flush, timers, prune -------------------------------------------------------

  override async alarm(): Promise<void> {
    const now = Date.now();
    const due = this.timers();
    if ((due.session_end ?? Infinity) <= now || (due.cart_abandoned ?? Infinity) <= now) this.runTimers(now);
    if ((due.prune ?? Infinity) <= now) this.prune(now);
    // Any alarm run sends what is buffered (and the duplicate counts): sending early is
    // harmless, and timer events reach the lake without waiting for the next flush interval.
    if (this.buffered() > 0 || Object.keys(pendingStats(this.sql)).length > 0) await this.flush();
    else this.clearTimer("flush");
    await this.armAlarm();
  }

  /**
   * Sends the buffer to the Queue. Rows are first bound to chunk ids (durably), so a chunk
   * that is re-sent after a crash carries the same id and the same records.
   */
  async flush(): Promise<FlushResult> {
    const startedMs = Date.now();
    const site = this.meta("site");
    this.assignChunks();
    const chunks = this.pendingChunks(site ?? "unknown");
    let sent = 0;
    for (const group of splitBySize(chunks, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES)) {
      try {
        if (fault(this.env, "queue_send")) throw new InjectedFault("queue_send");
        await this.env.EVENTS.sendBatch(group.map((c) => ({ body: c.body, contentType: "json" as const })));
      } catch (e) {
        this.flushAttempt += 1;
        this.setMeta("flush_attempt", String(this.flushAttempt));
        const delay = backoffMs(this.flushAttempt, 1000, 5 * 60_000);
        this.setTimer("flush", Date.now() + delay);
        await this.armAlarm();
        const error = (e as Error).message;
        console.log(JSON.stringify({ msg: "flush failed", attempt: this.flushAttempt, retry_in_ms: delay, error }));
        return { sent, remaining: this.buffered(), error };
      }
      // A crash here (sent, not yet deleted) makes the alarm re-send the same chunks later.
      if (fault(this.env, "flush_crash_after_send")) throw new InjectedFault("flush_crash_after_send");
      for (const c of group) this.sql.exec("DELETE FROM buffer WHERE chunk = ?", c.body.chunk);
      sent += group.reduce((n, c) => n + c.body.records.length, 0);
    }
    if (this.flushAttempt !== 0) {
      this.flushAttempt = 0;
      this.setMeta("flush_attempt", "0");
    }
    this.clearTimer("flush");
    const remaining = this.buffered();
    if (remaining > 0) this.planFlush(Date.now());
    await this.armAlarm();
    await afterFlush(this.sql, this.env, site ?? "unknown", this.ctx.id.toString(), { sent, remaining, startedMs });
    return { sent, remaining };
  }

  // --- internals: merges ---------------------------------------------------------------------

  /** Anonymous ids this user's beacon joins, not merged yet: ask each for its snapshot. */
  private async collectMerges(site: string, id: string, records: StoredRecord[], forwardedFrom?: string): Promise<Map<string, MergeSnapshot>> {
    const anon = new Set<string>();
    for (const r of records) if (r.user_id === id && r.anonymous_id !== id) anon.add(r.anonymous_id);
    if (forwardedFrom && forwardedFrom !== id) anon.add(forwardedFrom);
    const todo = [...anon].filter((a) => this.sql.exec("SELECT 1 FROM merged WHERE anon_id = ?", a).toArray().length === 0);
    const out = new Map<string, MergeSnapshot>();
    // A beacon that is all duplicates (a retry, maybe of an erased person) merges nothing.
    if (todo.length === 0 || this.allKnown(records)) return out;
    for (const a of todo) out.set(a, await profileStub(this.env, site, a).mergeInto(site, a, id));
    return out;
  }

  // --- internals: timers ---------------------------------------------------------------------

  private timerConfig(site: string | null): TimerConfig {
    const s = site ? sites(this.env).get(site) : undefined;
    return { sessionTimeoutMs: (s?.session_timeout_seconds ?? 1800) * 1000, cartAbandonMs: (s?.cart_abandon_seconds ?? 3600) * 1000 };
  }

  /** Timer events due at `at`: applied to the profile and buffered like any event. */
  private fireTimers(p: Profile, at: number, now: number, tc: TimerConfig): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const e of dueTimerEvents(p, at, tc)) {
      const r = timerRecord(p, e, new Date(now).toISOString());
      applyEvent(p, r, this.cfg.halfLifeMs, tc.sessionTimeoutMs);
      if (!this.markSeen(r.id, now)) continue; // made before (a re-run): the profile change stands, the record is not repeated
      this.buffer(r);
      out.push(r);
    }
    return out;
  }

  private runTimers(now: number): void {
    const profile = this.loadProfile();
    if (!profile) {
      this.sql.exec("DELETE FROM timers WHERE name IN ('session_end', 'cart_abandoned')");
      return;
    }
    const site = this.meta("site");
    const tc = this.timerConfig(site);
    const res = this.ctx.storage.transactionSync(() => {
      this.staged = [];
      const p = structuredClone(profile);
      const applied = this.fireTimers(p, now, now, tc);
      this.writeBuffer();
      this.saveProfile(p);
      this.syncTimers(p, tc);
      if (this.buffered() > 0) this.planFlush(now);
      return { p, applied };
    });
    this.profile = res.p;
    if (res.applied.length) this.push(res.applied);
  }

  private syncTimers(p: Profile, tc: TimerConfig): void {
    const t = timersOf(p, tc);
    for (const name of ["session_end", "cart_abandoned"] as const) {
      const due = t[name];
      if (due === undefined) this.clearTimer(name);
      else this.setTimer(name, due);
    }
  }

  private planFlush(now: number): void {
    const current = this.timers().flush;
    if (this.flushAttempt > 0 && current !== undefined) return; // backing off: keep the retry time
    if (this.buffered() >= this.cfg.flushMaxEvents) this.setTimer("flush", now);
    else if (current === undefined) this.setTimer("flush", now + this.cfg.flushIntervalMs);
  }

  /** Event ids and tombstones expire after DEDUP_TTL_HOURS; wake up when the oldest does. */
  private planPrune(now: number): void {
    if (this.timers().prune !== undefined) return;
    const row = this.sql.exec<{ at: number | null }>("SELECT min(at) AS at FROM (SELECT min(at) AS at FROM seen UNION ALL SELECT min(at) AS at FROM tombstone)").one();
    if (row.at !== null) this.setTimer("prune", Math.max(now + PRUNE_EVERY_MS, row.at + this.cfg.dedupTtlMs));
  }

  private prune(now: number): void {
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM seen WHERE at < ?", now - this.cfg.dedupTtlMs);
      this.sql.exec("DELETE FROM tombstone WHERE at < ?", now - this.cfg.dedupTtlMs);
      this.sql.exec("DELETE FROM held WHERE at < ?", now - HOLD_MAX_AGE_MS);
      this.clearTimer("prune");
      this.planPrune(now);
    });
  }

  private timers(): Partial<Record<TimerKey, number>> {
    const out: Partial<Record<TimerKey, number>> = {};
    for (const r of this.sql.exec<{ name: TimerKey; due: number }>("SELECT name, due FROM timers")) out[r.name] = r.due;
    return out;
  }

  private setTimer(name: TimerKey, due: number): void {
    this.sql.exec("INSERT INTO timers (name, due) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET due = excluded.due", name, due);
  }

  private clearTimer(name: TimerKey): void {
    this.sql.exec("DELETE FROM timers WHERE name = ?", name);
  }

  /** The single alarm follows the earliest timer (clamped: never NaN, never before now, at most 400 days ahead). */
  private async armAlarm(): Promise<void> {
    const due = this.sql.exec<{ due: number | null }>("SELECT min(due) AS due FROM timers").one().due;
    const current = await this.ctx.storage.getAlarm();
    if (due === null) {
      if (current !== null) await this.ctx.storage.deleteAlarm();
    } else {
      const at = alarmTime(due, Date.now());
      if (current !== at) await this.ctx.storage.setAlarm(at);
    }
  }

  // --- internals: storage --------------------------------------------------------------------

  private push(applied: StoredRecord[]): void {
    if (this.subs.count === 0) return;
    this.subs.publish({ type: "profile", events: applied.map((r) => ({ id: r.id, type: r.type, ts: r.ts })), profile: this.view() });
  }

  private view(): LiveProfileView | null {
    const p = this.loadProfile();
    if (!p) return null;
    const bot = this.botState();
    const held = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM held").one().n;
    return { ...viewProfile(p, Date.now(), this.cfg.halfLifeMs), bot: { score: bot.score, reasons: bot.reasons }, consent: { state: (this.meta("consent") as ConsentState | null) ?? "unknown", held_events: held } };
  }

  // --- consent buffer and bot scoring (consent.ts, bot-score.ts) ------------------------------

  /**
   * Decides, inside the ingest transaction, which new events are processed now: with
   * consent_mode "required", events wait in `held` until consent is granted (then they are
   * released, oldest first) or denied (then they and the beacon's events are discarded).
   */
  private applyConsent(site: string, fresh: StoredRecord[], incoming: ConsentState | undefined, now: number): { process: StoredRecord[]; denied: number } {
    const mode = sites(this.env).get(site)?.consent_mode ?? "off";
    const stored = (this.meta("consent") as ConsentState | null) ?? "unknown";
    const step = consentStep(mode, stored, incoming);
    if (step.state !== stored) this.setMeta("consent", step.state);
    if (step.purge) this.sql.exec("DELETE FROM held");
    if (step.action === "drop") return { process: [], denied: fresh.length };
    if (step.action === "hold") {
      for (const r of fresh) this.sql.exec("INSERT OR IGNORE INTO held (id, at, rec) VALUES (?, ?, ?)", r.id, Date.parse(r.ts) || now, JSON.stringify(r));
      const over = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM held").one().n - HOLD_MAX_EVENTS;
      if (over > 0) this.sql.exec("DELETE FROM held WHERE id IN (SELECT id FROM held ORDER BY at LIMIT ?)", over);
      if (fresh.length) this.planPrune(now);
      return { process: [], denied: 0 };
    }
    if (!step.release) return { process: fresh, denied: 0 };
    const released = this.sql.exec<{ rec: string }>("SELECT rec FROM held ORDER BY at").toArray().map((r) => JSON.parse(r.rec) as StoredRecord);
    this.sql.exec("DELETE FROM held");
    return { process: [...released, ...fresh], denied: 0 };
  }

  private botState(): BotState {
    const raw = this.meta("bot");
    return raw ? (JSON.parse(raw) as BotState) : emptyBotState();
  }

  /** Scores events in order against the user's own history; false means "drop this one". */
  private botGuard(site: string) {
    const cfg = sites(this.env).get(site);
    const action = cfg?.bot_action ?? "flag";
    const threshold = cfg?.bot_threshold ?? 70;
    let state = this.botState();
    let changed = false;
    let dropped = 0;
    return {
      score: (r: StoredRecord, p: Profile): boolean => {
        const known = new Set([...p.recent_products.map((x) => x.product_id), ...p.cart.items.map((x) => x.product_id)]);
        const cur = p.sessions.current;
        state = scoreEvent(state, r, { knownProducts: known, sessionPages: cur && (cur.id === r.session_id || !r.session_id) ? cur.pages : 0 });
        changed = true;
        r.bot_score = state.score;
        r.bot_reasons = state.reasons;
        if (action === "drop" && state.score >= threshold) {
          dropped++;
          return false;
        }
        return true;
      },
      save: () => {
        if (changed) this.setMeta("bot", JSON.stringify(state));
        if (dropped) this.setMeta("bot_dropped", String(Number(this.meta("bot_dropped") ?? 0) + dropped));
      },
    };
  }

  private claim(site: string, id: string): void {
    if (!this.meta("site")) {
      this.setMeta("site", site);
      this.setMeta("id", id);
    }
  }

  private holdsAnything(): boolean {
    return !!this.meta("site") || this.buffered() > 0 || this.sql.exec("SELECT 1 FROM held LIMIT 1").toArray().length > 0;
  }

  /** Every id already seen here or tombstoned (read-only check). */
  private allKnown(records: StoredRecord[]): boolean {
    const tomb = this.hasTombstones();
    return records.every(
      (r) => this.sql.exec("SELECT 1 FROM seen WHERE id = ?", r.id).toArray().length > 0 || (tomb && this.sql.exec("SELECT 1 FROM tombstone WHERE h = ?", tombstoneHash(r.id)).toArray().length > 0),
    );
  }

  /** True when the id is new to this object (and is now remembered). */
  private markSeen(id: string, now: number): boolean {
    return this.sql.exec("INSERT OR IGNORE INTO seen (id, at) VALUES (?, ?)", id, now).rowsWritten > 0;
  }

  private hasTombstones(): boolean {
    return this.sql.exec("SELECT 1 FROM tombstone LIMIT 1").toArray().length > 0;
  }

  /**
   * Buffered records are written as one row per beacon (a JSON array, split under the queue's
   * message size), not one row per event: rows written are what SQLite storage is billed by.
   * buffer() stages inside a transaction; writeBuffer() writes the staged rows before it ends.
   */
  private staged: { json: string; bytes: number }[] = [];

  private buffer(r: StoredRecord): void {
    const json = JSON.stringify(r);
    this.staged.push({ json, bytes: json.length + 1 });
  }

  private writeBuffer(): void {
    const staged = this.staged;
    this.staged = [];
    for (const run of splitBySize(staged, MAX_MESSAGE_BYTES - 1024)) {
      this.sql.exec("INSERT INTO buffer (n, bytes, rec) VALUES (?, ?, ?)", run.length, run.reduce((a, x) => a + x.bytes, 0), `[${run.map((x) => x.json).join(",")}]`);
    }
  }

  private assignChunks(): void {
    const rows = this.sql.exec<{ seq: number; bytes: number }>("SELECT seq, bytes FROM buffer WHERE chunk IS NULL ORDER BY seq").toArray();
    // A generation that is new whenever storage starts empty (first use, or after erasure),
    // so chunk ids are never reused even though seq restarts.
    let gen = this.meta("generation");
    if (!gen) this.setMeta("generation", (gen = crypto.randomUUID().slice(0, 8)));
    const prefix = `${this.ctx.id.toString().slice(0, 16)}-${gen}`;
    for (const run of splitBySize(rows, MAX_MESSAGE_BYTES)) {
      // seq restarts when the buffer empties (no AUTOINCREMENT: it costs a row write per
      // insert), so the id gets its own randomness; it is stored, so re-sends keep it.
      const chunk = `${prefix}-${crypto.randomUUID().slice(0, 13)}`;
      this.sql.exec("UPDATE buffer SET chunk = ? WHERE seq BETWEEN ? AND ? AND chunk IS NULL", chunk, run[0]!.seq, run[run.length - 1]!.seq);
    }
  }

  private pendingChunks(site: string): { bytes: number; body: FlushChunk }[] {
    const byChunk = new Map<string, { bytes: number; body: FlushChunk }>();
    for (const row of this.sql.exec<{ chunk: string; bytes: number; rec: string }>("SELECT chunk, bytes, rec FROM buffer WHERE chunk IS NOT NULL ORDER BY seq")) {
      let c = byChunk.get(row.chunk);
      if (!c) byChunk.set(row.chunk, (c = { bytes: 64, body: { v: 1, chunk: row.chunk, site, records: [] } }));
      c.bytes += row.bytes + 1;
      c.body.records.push(...(JSON.parse(row.rec) as StoredRecord[]));
    }
    return [...byChunk.values()];
  }

  private buffered(): number {
    return this.sql.exec<{ n: number }>("SELECT coalesce(sum(n), 0) AS n FROM buffer").one().n;
  }

  private loadProfile(): Profile | null {
    if (this.profile === undefined) {
      const v = this.meta("profile");
      this.profile = v ? upgradeProfile(JSON.parse(v) as Profile) : null;
    }
    return this.profile;
  }

  private saveProfile(p: Profile): void {
    this.setMeta("profile", JSON.stringify(p));
  }

  private meta(k: string): string | null {
    const rows = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray();
    return rows[0]?.v ?? null;
  }

  private setMeta(k: string, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v", k, v);
  }
}
