/**
 * The user object's timers and its one alarm. Each timer (flush, session_end, cart_abandoned,
 * prune) is a due time in the state row (state-row.ts), written in the same transaction as the
 * change that needs it; the alarm is then set, outside the transaction, to the earliest.
 *
 * setAlarm is billed as a row written, so the alarm is moved only when it must come sooner.
 * One that is later than needed is left: it fires, finds nothing due (or a session still going
 * on), and is set again then. A session's end moves with every beacon, but the alarm follows
 * it once per firing instead of once per beacon.
 */
import { alarmTime } from "../schemas";
import type { StateRow, TimerKey } from "./state-row";

export type { TimerKey };

export class Schedule {
  /** The alarm as last read or set (undefined: not read yet in this lifetime). */
  private current: number | null | undefined;

  constructor(
    private readonly state: StateRow,
    private readonly storage: DurableObjectStorage,
  ) {}

  all(): Partial<Record<TimerKey, number>> {
    return { ...this.state.get().timers };
  }

  due(name: TimerKey): number | undefined {
    return this.state.get().timers[name];
  }

  set(name: TimerKey, due: number): void {
    const t = this.state.get().timers;
    if (t[name] === due) return;
    t[name] = due;
    this.state.touch();
  }

  clear(...names: TimerKey[]): void {
    const t = this.state.get().timers;
    for (const n of names) {
      if (t[n] === undefined) continue;
      delete t[n];
      this.state.touch();
    }
  }

  clearAll(): void {
    this.clear("flush", "session_end", "cart_abandoned", "prune");
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

  /** The alarm has fired: it is no longer set. */
  fired(): void {
    this.current = null;
  }

  /** The single alarm: set when the earliest timer needs it sooner (or none is set); clamped (schemas/time.ts): never NaN, never before now, at most 400 days ahead. */
  async arm(): Promise<void> {
    const times = Object.values(this.state.get().timers);
    const next = times.length ? alarmTime(Math.min(...times), Date.now()) : null;
    if (this.current === undefined) this.current = await this.storage.getAlarm();
    if (next === null) {
      if (this.current !== null) await this.storage.deleteAlarm();
      this.current = null;
    } else if (this.current === null || next < this.current) {
      await this.storage.setAlarm(next);
      this.current = next;
    }
  }

  alarm(): Promise<number | null> {
    return this.storage.getAlarm();
  }

  /** After a rollback: read the alarm again. */
  forget(): void {
    this.current = undefined;
  }
}
