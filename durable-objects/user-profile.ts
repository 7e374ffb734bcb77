/**
 * One object per (site, user): exact dedup by event id, the rolling profile, a durable outbox
 * flushed to the Queue, per-user timers, identity merge, live subscribers and erasure.
 * Called by RPC from the worker (and by other profile objects for merges and forwards).
 *
 * This class orchestrates; its collaborators hold the details:
 *   UserStore   (user-store.ts)  the state row (state-row.ts: meta, profile, timers, recent ids,
 *                                outbox), seen ids (seen-ids.ts), tombstones, merges, held events
 *   Outbox      (outbox.ts)      chunks, flush to the Queue with backoff
 *   Schedule    (schedule.ts)    timers and the one alarm
 *   Subscribers (subscribers.ts) WebSocket (hibernation) and SSE pushes
 * and pure functions do the math (profile.ts, merge.ts, timers.ts, guards.ts).
 *
 * Everything `ingest` writes happens synchronously on SQLite inside one transaction, which
 * writes the state row once, so the worker's 202 means the events are on disk; the flush to
 * the queue starts after it and the answer does not wait for it.
 */
import { DurableObject } from "cloudflare:workers";
import { isPacked, packRecords, sites, unpackRecords, type PackedRecords, type SiteConfig, type StoredRecord } from "../schemas";
import { HOLD_MAX_AGE_MS, type ConsentState } from "./consent";
import { log } from "./lib/log";
import { admitByConsent, botGuard, botStateOf, consentOf } from "./guards";
import { adoptMerges, collectMerges, type MergeSnapshot } from "./identity-merge";
import { withItemDeltas } from "./items/covisit";
import { rankingInput, type RankingInput } from "./items/ranking-input";
import { itemTuning } from "./items/tuning";
import { Outbox, type FlushResult } from "./outbox";
import { applyEvent, emptyProfile, viewProfile, type Profile } from "./profile";
import { Schedule } from "./schedule";
import { profileStub } from "./stub";
import { Subscribers } from "./subscribers";
import { dueTimerEvents, timerConfig, timerRecord, timersOf, type TimerConfig } from "./timers";
import { tuning, type Tuning } from "./tuning";
import { UserStore } from "./user-store";
import type { BeaconOptions, IngestResult, LiveProfileView } from "./user-types";
import { eraseUser, exportUser, type ErasureResult, type UserParts } from "./user-erasure";

export type { ErasureResult, FlushResult, MergeSnapshot };

export type { BeaconOptions, IngestResult, LiveProfileView };

const PRUNE_EVERY_MS = 3_600_000;
const MAX_HOPS = 1;

export class UserProfile extends DurableObject<Env> {
  private readonly cfg: Tuning;
  private readonly store: UserStore;
  private readonly outbox: Outbox;
  private readonly schedule: Schedule;
  private readonly subs: Subscribers;
  /** What erasure and export (user-erasure.ts) may use; RPC callers never see these. */
  private readonly parts: UserParts;
  /** Set inside a transaction when its records should be sent right after it. */
  private flushDue = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    this.cfg = tuning(env);
    this.store = new UserStore(sql, ctx.id.toString());
    this.schedule = new Schedule(this.store.state, ctx.storage);
    this.outbox = new Outbox(this.store.state, this.schedule, this.cfg, env.EVENTS, ctx.id.toString());
    this.subs = new Subscribers(ctx);
    this.parts = { env, store: this.store, outbox: this.outbox, schedule: this.schedule, subs: this.subs, transaction: (fn) => this.transaction(fn), planPrune: (now) => this.planPrune(now), view: () => this.view() };
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  // --- ingest --------------------------------------------------------------------------------

  /** Forward, merges, dedup, consent, apply, buffer: all or nothing; then the flush, the alarm and pushes. Records come packed (schemas/packed.ts) or as they are. */
  async ingest(site: string, id: string, batch: StoredRecord[] | PackedRecords, opts: BeaconOptions = {}): Promise<IngestResult> {
    const records = isPacked(batch) ? unpackRecords(batch) : batch;
    const into = this.store.meta("merged_into");
    if (into && into !== id && (opts.hops ?? 0) < MAX_HOPS) return this.forward(site, id, into, records, opts);
    const snapshots = await collectMerges(this.env, this.store, site, id, records, opts.forwardedFrom);
    const settings = this.settings(site);
    const now = Date.now();
    const result = this.transaction(() => {
      this.store.claim(site, id);
      const merged = adoptMerges(this.store, snapshots, now, this.cfg.halfLifeMs);
      const { fresh, duplicate_ids } = this.store.seen.dedup(records, now);
      const { process, denied, held } = admitByConsent(this.store, settings, fresh, opts.consent, now);
      const applied = process.length || merged.ids.length ? this.apply(site, id, process, merged.profile, settings, now, opts.server === true) : [];
      if (held) this.planPrune(now);
      this.outbox.noteDuplicates(duplicate_ids.length, now);
      const changed = applied.length > 0 || merged.ids.length > 0;
      return { accepted: fresh.length - denied, duplicates: duplicate_ids.length, duplicate_ids, changed, held, applied, merged: merged.ids };
    });
    this.flushIfDue(site);
    if (result.changed) this.push(result.applied);
    if (result.changed || result.duplicates || result.held) await this.schedule.arm();
    for (const anon of result.merged) {
      // The anonymous object may now drop its copy; if this fails it keeps a frozen copy, no harm.
      await profileStub(this.env, site, anon).mergeDone(id).catch(() => {});
    }
    return { accepted: result.accepted, duplicates: result.duplicates, duplicate_ids: result.duplicate_ids };
  }

  /** This anonymous id belongs to a user now: their object takes the beacon (and dedups it). */
  private async forward(site: string, id: string, into: string, records: StoredRecord[], opts: BeaconOptions): Promise<IngestResult> {
    // The ids are remembered here too, so that after an erasure a retry stays erased.
    const now = Date.now();
    this.transaction(() => {
      for (const r of records) this.store.markSeen(r.id, now);
      this.planPrune(now);
    });
    await this.schedule.arm();
    return profileStub(this.env, site, into).ingest(site, into, packRecords(records), { forwardedFrom: id, hops: (opts.hops ?? 0) + 1, consent: opts.consent, server: opts.server });
  }

  /** Timers due first, then each event in event-time order: bot gate, buffer, profile. */
  private apply(site: string, id: string, process: StoredRecord[], merged: Profile | null, settings: SiteConfig, now: number, server: boolean): StoredRecord[] {
    // Changed in place: a rolled-back transaction makes the store read its row again.
    const p = merged ?? this.store.profile() ?? emptyProfile(site, id);
    const tc = timerConfig(settings);
    const guard = botGuard(this.store, settings);
    const applied: StoredRecord[] = [];
    // Event-time order keeps "latest" fields right when a batch arrives out of order.
    process.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    for (const r of process) {
      // A timer that fell due before this event (a late batch) fires first.
      applied.push(...this.fireTimers(p, Date.parse(r.ts), now, tc));
      if (!guard.admit(r, p)) continue; // a bot, on a site that drops them
      this.outbox.stage(r);
      applyEvent(p, r, this.cfg.halfLifeMs, tc.sessionTimeoutMs, !server || r.session_id !== null);
      applied.push(r);
    }
    guard.save();
    this.saveAndPlan(p, tc, now);
    return applied;
  }

  // --- identity merges -----------------------------------------------------------------------

  /**
   * Called on an anonymous object by the user's object. The first user to claim it wins: the
   * pointer `merged_into` is durable, and later anonymous-only beacons are forwarded there.
   * Idempotent: until the user confirms (mergeDone), the same snapshot is returned again.
   */
  async mergeInto(site: string, id: string, userId: string): Promise<MergeSnapshot> {
    const snap = this.transaction((): MergeSnapshot => {
      const into = this.store.meta("merged_into");
      if (into && into !== userId) return { outcome: "elsewhere", into, profile: null, seen: [] };
      if (!into) {
        this.store.claim(site, id);
        this.store.setMeta("merged_into", userId);
        // The user's object owns the session and the cart from now on.
        this.schedule.clear("session_end", "cart_abandoned");
      }
      return { outcome: "merged", into: userId, profile: this.store.profile(), seen: this.store.seenRows() };
    });
    await this.schedule.arm();
    return snap;
  }

  /**
   * The user's object holds the merged copy: drop ours. The buffer still flushes from here,
   * and the event ids stay (until the dedup TTL) so that an erasure can tombstone them.
   * Subscribers are told and disconnected: reconnecting here reaches the user's stream.
   */
  async mergeDone(userId: string): Promise<void> {
    if (this.store.meta("merged_into") !== userId) return;
    this.transaction(() => this.store.dropProfile());
    this.subs.closeAll("merged", { type: "merged", events: [], profile: { into: userId } });
  }

  // --- reading and subscribing ---------------------------------------------------------------

  async getProfile(): Promise<LiveProfileView | null> {
    const into = this.store.meta("merged_into");
    if (into) return profileStub(this.env, this.store.meta("site")!, into).getProfile();
    return this.view();
  }

  /** Only what recommendations rank with (items/ranking-input.ts); null without a profile. */
  async rankingInput(): Promise<RankingInput | null> {
    const into = this.store.meta("merged_into");
    if (into) return profileStub(this.env, this.store.meta("site")!, into).rankingInput();
    const p = this.store.profile();
    return p ? rankingInput(p, Date.now(), this.cfg.halfLifeMs) : null;
  }

  /** GET <anything>/stream?site=&id= with or without `Upgrade: websocket`. */
  override async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (!url.pathname.endsWith("/stream")) return Response.json({ error: "not found" }, { status: 404 });
    const into = this.store.meta("merged_into");
    if (into) return profileStub(this.env, this.store.meta("site")!, into).fetch(req);
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
    const timers = this.schedule.all();
    return { buffered: this.outbox.buffered(), flush_attempt: this.outbox.flushAttempt, flush_at: timers.flush ?? null, alarm: await this.schedule.alarm(), timers, subscribers: this.subs.count };
  }

  private view(): LiveProfileView | null {
    const p = this.store.profile();
    if (!p) return null;
    const bot = botStateOf(this.store);
    return { ...viewProfile(p, Date.now(), this.cfg.halfLifeMs), bot: { score: bot.score, reasons: bot.reasons }, consent: { state: consentOf(this.store), held_events: this.store.heldCount() } };
  }

  // --- erasure and access (user-erasure.ts) --------------------------------------------------

  /** Everything this object (and the anonymous objects merged into it) holds about the person. */
  async exportAll(site: string, id: string, fromUser?: string): Promise<Record<string, unknown> | null> {
    return exportUser(this.parts, site, id, fromUser);
  }

  /** Erases the person here and in every anonymous object merged into it (user-erasure.ts). */
  async erase(site: string, id: string, fromUser?: string): Promise<ErasureResult | null> {
    return eraseUser(this.parts, site, id, fromUser);
  }

  // --- the alarm: timers, prune, flush -------------------------------------------------------

  override async alarm(): Promise<void> {
    this.schedule.fired();
    const now = Date.now();
    const due = this.schedule.all();
    if ((due.session_end ?? Infinity) <= now || (due.cart_abandoned ?? Infinity) <= now) this.runTimers(now);
    if ((due.prune ?? Infinity) <= now) this.prune(now);
    // Any alarm run sends what is buffered (and the duplicate counts): sending early is
    // harmless, and timer events reach the lake without waiting for the next flush interval.
    if (this.outbox.hasWork()) await this.flush();
    else this.schedule.clear("flush");
    // The alarm may now move later (a session's end): a chunk the queue took must not stay in
    // the row past it, or an object that stops would leave it there until then.
    if (this.outbox.sentInRow()) this.transaction(() => this.outbox.dropSent());

    await this.schedule.arm();
  }

  async flush(site = this.store.meta("site") ?? "unknown"): Promise<FlushResult> {
    // Site-wide item statistics ride along with each chunk (items/covisit.ts).
    const items = itemTuning(this.env).enabled;
    return this.outbox.flush(site, (chunks) => withItemDeltas(chunks, this.store.profile(), items));
  }

  /** Timer events due at `at`: applied to the profile and buffered like any event. */
  private fireTimers(p: Profile, at: number, now: number, tc: TimerConfig): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const e of dueTimerEvents(p, at, tc)) {
      const r = timerRecord(p, e, new Date(now).toISOString());
      applyEvent(p, r, this.cfg.halfLifeMs, tc.sessionTimeoutMs);
      if (!this.store.markSeen(r.id, now)) continue; // made before (a re-run): the profile change stands, the record is not repeated
      this.outbox.stage(r);
      out.push(r);
    }
    return out;
  }

  private runTimers(now: number): void {
    const profile = this.store.profile();
    if (!profile) {
      this.schedule.clear("session_end", "cart_abandoned");
      return;
    }
    const tc = timerConfig(this.settings(this.store.meta("site")));
    const applied = this.transaction(() => {
      const fired = this.fireTimers(profile, now, now, tc);
      this.saveAndPlan(profile, tc, now);
      return fired;
    });
    if (applied.length) this.push(applied);
  }

  private prune(now: number): void {
    this.transaction(() => {
      this.store.prune(now, this.cfg.dedupTtlMs, HOLD_MAX_AGE_MS);
      this.schedule.clear("prune");
      this.planPrune(now);
    });
  }

  // --- helpers -------------------------------------------------------------------------------

  /** Writes staged records and the profile, and sets the timers that follow from them. */
  private saveAndPlan(p: Profile, tc: TimerConfig, now: number): void {
    this.outbox.commitStaged();
    this.store.saveProfile(p);
    const t = timersOf(p, tc);
    this.schedule.follow("session_end", t.session_end);
    this.schedule.follow("cart_abandoned", t.cart_abandoned);
    if (this.outbox.planFlush(now) === "now") this.flushDue = true;
    this.planPrune(now);
  }

  /** Records that should go at once are sent after the transaction; the caller does not wait. */
  private flushIfDue(site: string): void {
    if (!this.flushDue) return;
    this.flushDue = false;
    this.ctx.waitUntil(this.flush(site).catch((e) => log("flush failed", { error: (e as Error).message })));
  }

  private planPrune(now: number): void {
    if (this.schedule.due("prune") !== undefined) return; // set already: no need to look for the oldest id
    this.schedule.planPrune(now, this.store.oldestRemembered(), this.cfg.dedupTtlMs, PRUNE_EVERY_MS);
  }

  /** One SQLite transaction that writes the state row at most once; on a rollback, nothing staged or cached from it survives. */
  private transaction<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(() => {
        this.outbox.discardStaged();
        this.flushDue = false;
        const r = fn();
        if (this.store.state.isDirty) {
          this.store.seen.trim(Date.now(), this.cfg.dedupTtlMs);
          this.outbox.dropSent(); // the row is written anyway: chunks the queue took leave with it
        }
        this.store.state.save();
        return r;
      });
    } catch (e) {
      this.outbox.forget();
      this.store.forgetCache();
      this.schedule.forget();
      this.flushDue = false;
      throw e;
    }
  }

  private settings(site: string | null): SiteConfig {
    return sites(this.env).settings(site);
  }

  private push(applied: StoredRecord[]): void {
    if (this.subs.count === 0) return;
    this.subs.publish({ type: "profile", events: applied.map((r) => ({ id: r.id, type: r.type, ts: r.ts })), profile: this.view() });
  }
}
