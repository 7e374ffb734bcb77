/**
 * The user object's timers and its one alarm. Each timer (flush, session_end, cart_abandoned,
 * prune) is a due time in the `timers` table, written in the same transaction as the change
 * that needs it; the alarm is then set to the earliest, outside the transaction.
 */
import { alarmTime } from "../schemas";

export type TimerKey = "flush" | "session_end" | "cart_abandoned" | "prune";

export class Schedule {
  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS timers (name TEXT PRIMARY KEY, due INTEGER NOT NULL) WITHOUT ROWID");
  }

  all(): Partial<Record<TimerKey, number>> {
    const out: Partial<Record<TimerKey, number>> = {};
    for (const r of this.sql.exec<{ name: TimerKey; due: number }>("SELECT name, due FROM timers")) out[r.name] = r.due;
    return out;
  }

  due(name: TimerKey): number | undefined {
    return this.sql.exec<{ due: number }>("SELECT due FROM timers WHERE name = ?", name).toArray()[0]?.due;
  }

  set(name: TimerKey, due: number): void {
    this.sql.exec("INSERT INTO timers (name, due) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET due = excluded.due", name, due);
  }

  clear(...names: TimerKey[]): void {
    for (const n of names) this.sql.exec("DELETE FROM timers WHERE name = ?", n);
  }

  clearAll(): void {
    this.sql.exec("DELETE FROM timers");
  }

  /** Sets or clears one timer from an optional due time. */
  follow(name: TimerKey, due: number | undefined): void {
    if (due === undefined) this.clear(name);
    else this.set(name, due);
  }

  /** The prune timer: when the oldest remembered id expires, at most once an hour. */
  planPrune(now: number, oldest: number | null, ttlMs: number, everyMs: number): void {
    if (this.due("prune") !== undefined || oldest === null) return;
    this.set("prune", Math.max(now + everyMs, oldest + ttlMs));
  }

  /** The single alarm follows the earliest timer, clamped (schemas/time.ts): never NaN, never before now, at most 400 days ahead. */
  async arm(): Promise<void> {
    const next = this.sql.exec<{ due: number | null }>("SELECT min(due) AS due FROM timers").one().due;
    const current = await this.storage.getAlarm();
    if (next === null) {
      if (current !== null) await this.storage.deleteAlarm();
    } else {
      const at = alarmTime(next, Date.now());
      if (current !== at) await this.storage.setAlarm(at);
    }
  }

  alarm(): Promise<number | null> {
    return this.storage.getAlarm();
  }
}
