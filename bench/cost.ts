/**
 * Cost model: billable operations counted during a load run, times Cloudflare's public
 * prices, as dollars per million accepted events; next to a naive design. Pure.
 */

/** USD, Workers Paid plan, list prices above the included monthly amounts (see docs/PERFORMANCE.md for sources). */
export const PRICES = {
  checked: "2026-11-26",
  worker_request: 0.3 / 1e6,
  worker_cpu_ms: 0.02 / 1e6,
  do_request: 0.15 / 1e6,
  do_gb_s: 12.5 / 1e6,
  do_row_written: 1.0 / 1e6,
  queue_op: 0.4 / 1e6,
  r2_class_a: 4.5 / 1e6,
} as const;

/** One queue operation per 64 KB of a message (KB = 1000 bytes), at least one. */
export const QUEUE_OP_BYTES = 64_000;
export const queueOps = (bytes: number): number => Math.max(1, Math.ceil(bytes / QUEUE_OP_BYTES));

export interface Counters {
  /** HTTP requests into the worker. */
  worker_requests: number;
  /** Consumer invocations (one per delivered batch): billed as worker requests. */
  queue_batches: number;
  /** RPC calls to UserProfile.ingest (one per beacon). */
  profile_requests: number;
  profile_reads: number;
  profile_alarms: number;
  /** rowsWritten of every statement the user objects ran, plus one per setAlarm (billed as a row written). */
  profile_rows_written: number;
  /** SQL statements the user objects ran (reads included). */
  profile_statements: number;
  /** setAlarm / deleteAlarm calls of the user objects (each setAlarm is in profile_rows_written). */
  profile_alarm_sets: number;
  profile_alarm_deletes: number;
  ledger_requests: number;
  ledger_rows_written: number;
  /** The metrics objects (SiteStats: one per site and hour): RPC calls and rows written. */
  stats_requests: number;
  stats_rows_written: number;
  /** Rows written by table ("schema" for CREATE, "alarm" for setAlarm), user and ledger objects. */
  rows_by_table: Record<string, number>;
  /** RPC calls to ItemStats shards and ItemTrends (site-wide item statistics, catalogue). */
  items_requests: number;
  /** Of those, reads by recommendations: ItemStats.read and ItemTrends.lists (the per-isolate cache's misses). */
  item_reads: number;
  trend_reads: number;
  items_rows_written: number;
  queue_messages: number;
  /** 64 KB units of the delivered messages (one write, one read and one delete each). */
  queue_ops: number;
  /** Distinct events delivered in queue messages (by id). */
  events_in_messages: number;
  /** Events delivered again (a chunk re-sent, a message redelivered): paid, not counted twice above. */
  events_delivered_again: number;
  /** Of those, events the objects made themselves (session_end, cart_abandoned). */
  timer_events_in_messages: number;
  r2_puts: number;
}

export const emptyCounters = (): Counters => ({
  worker_requests: 0,
  queue_batches: 0,
  profile_requests: 0,
  profile_reads: 0,
  profile_alarms: 0,
  profile_rows_written: 0,
  profile_statements: 0,
  profile_alarm_sets: 0,
  profile_alarm_deletes: 0,
  ledger_requests: 0,
  ledger_rows_written: 0,
  stats_requests: 0,
  stats_rows_written: 0,
  rows_by_table: {},
  items_requests: 0,
  item_reads: 0,
  trend_reads: 0,
  items_rows_written: 0,
  queue_messages: 0,
  queue_ops: 0,
  events_in_messages: 0,
  events_delivered_again: 0,
  timer_events_in_messages: 0,
  r2_puts: 0,
});

export function diffCounters(after: Counters, before: Counters): Counters {
  const out = emptyCounters();
  for (const k of Object.keys(out) as (keyof Counters)[]) {
    if (k === "rows_by_table") continue;
    out[k] = ((after[k] as number) ?? 0) - ((before[k] as number) ?? 0);
  }
  for (const [t, n] of Object.entries(after.rows_by_table ?? {})) {
    const d = n - (before.rows_by_table?.[t] ?? 0);
    if (d) out.rows_by_table[t] = d;
  }
  return out;
}

/** Which table a statement writes to ("schema" for CREATE), for the rows-by-table counts. */
export function tableOf(sql: string): string {
  const m = /^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|(CREATE|DROP)\s+(?:TABLE|INDEX)(?:\s+IF\s+(?:NOT\s+)?EXISTS)?)\s+(\w+)/i.exec(sql);
  if (!m) return "other";
  return m[1] ? "schema" : m[2]!;
}

export interface CostLine {
  item: string;
  count: number;
  per_million_events: number;
}
export interface CostBreakdown {
  events: number;
  lines: CostLine[];
  /** Requests, queue operations, R2 writes: the operations the issue asks to count. */
  ops_usd_per_million: number;
  /** Plus SQLite rows written (Durable Object storage billing). */
  with_storage_usd_per_million: number;
}

function breakdown(events: number, items: [string, number, number, boolean][]): CostBreakdown {
  const per = (n: number, price: number) => (events > 0 ? ((n * price) / events) * 1e6 : 0);
  const lines = items.map(([item, count, price]) => ({ item, count, per_million_events: per(count, price) }));
  const ops = items.filter((i) => !i[3]).reduce((s, [, n, p]) => s + per(n, p), 0);
  const all = items.reduce((s, [, n, p]) => s + per(n, p), 0);
  return { events, lines, ops_usd_per_million: ops, with_storage_usd_per_million: all };
}

/** This design, from what the run counted. `events` = accepted events. */
export function measuredCost(c: Counters, events: number): CostBreakdown {
  return breakdown(events, [
    ["worker requests (beacons + consumer batches)", c.worker_requests + c.queue_batches, PRICES.worker_request, false],
    ["Durable Object requests (ingest RPC + alarms + ledger + metrics + item statistics)", c.profile_requests + c.profile_alarms + c.ledger_requests + (c.stats_requests ?? 0) + (c.items_requests ?? 0), PRICES.do_request, false],
    ["queue operations (write + read + delete per 64 KB)", c.queue_ops * 3, PRICES.queue_op, false],
    ["R2 class A (puts)", c.r2_puts, PRICES.r2_class_a, false],
    ["SQLite rows written (user, ledger, metrics and item objects; setAlarm = 1 row)", c.profile_rows_written + c.ledger_rows_written + (c.stats_rows_written ?? 0) + (c.items_rows_written ?? 0), PRICES.do_row_written, true],
  ]);
}

/** Recommendation reads, per million requests: the worker request, the user's object and the item objects it read. */
export function readCost(c: Counters, requests: number): CostBreakdown {
  return breakdown(requests, [
    ["worker requests", c.worker_requests, PRICES.worker_request, false],
    ["Durable Object requests (user object + item shards + trending)", c.profile_reads + c.items_requests, PRICES.do_request, false],
    ["SQLite rows written", c.profile_rows_written + c.items_rows_written, PRICES.do_row_written, true],
  ]);
}

/**
 * The naive design for the same traffic: every event is its own Durable Object request and
 * its own queue message (write + read + delete), the consumer gets batches of 100 messages
 * (max_batch_size) and writes one R2 object per batch; the object still dedups and keeps the
 * profile but has no buffer to write: per event a `seen` row, its `seen_at` index entry (SQLite
 * billing counts index writes, as workerd's rowsWritten does) and the profile row.
 */
export function naiveCost(beacons: number, events: number, rowsPerEvent = 3): CostBreakdown {
  const batches = Math.ceil(events / 100);
  return breakdown(events, [
    ["worker requests (beacons + consumer batches)", beacons + batches, PRICES.worker_request, false],
    ["Durable Object requests (one per event)", events, PRICES.do_request, false],
    ["queue operations (one message per event, x3)", events * 3, PRICES.queue_op, false],
    ["R2 class A (one put per consumer batch of 100)", batches, PRICES.r2_class_a, false],
    [`SQLite rows written (${rowsPerEvent} per event)`, events * rowsPerEvent, PRICES.do_row_written, true],
  ]);
}
