/**
 * What one beacon writes, by table: a new visitor's first beacon and a warm visitor's next one
 * (after the first reached the lake), for 1, 3 and 10 events. Each beacon is sent alone and
 * followed until its events are in R2. The user object's rows are its own (counted per object);
 * the ledger, metrics and item-statistics rows are what the whole collector wrote meanwhile
 * (their objects serve every user; one beacon alone is their worst case).
 */
import { beacon, BENCH_UA } from "./bodies";
import type { Counters } from "./cost";
import { drain, readCounters } from "./drain";

export interface RowsProbe {
  events: number;
  visitor: "new" | "warm";
  /** During the POST (the ingest transaction and what it set off before answering). */
  ingest: { rows: number; statements: number; alarm_sets: number; by_table: Record<string, number> };
  /** Everything, until the events are in R2 and the counters stand still. */
  total: { user_rows: number; ledger_rows: number; stats_rows: number; items_rows: number; statements: number; alarm_sets: number; alarms_run: number; queue_messages: number; by_table: Record<string, number> };
}

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": BENCH_UA }, body: JSON.stringify(body) });

type ObjectRows = { rows: number; statements: number; alarm_sets: number; by_table: Record<string, number> };
const objectRows = async (url: string, site: string, id: string) => (await (await fetch(`${url}/__bench/object?site=${site}&id=${encodeURIComponent(id)}`)).json()) as ObjectRows;
const minus = (a: ObjectRows, b: ObjectRows): ObjectRows => {
  const by: Record<string, number> = {};
  for (const [t, n] of Object.entries(a.by_table)) if (n - (b.by_table[t] ?? 0)) by[t] = n - (b.by_table[t] ?? 0);
  return { rows: a.rows - b.rows, statements: a.statements - b.statements, alarm_sets: a.alarm_sets - b.alarm_sets, by_table: by };
};

export async function rowsProbe(url: string, site: string, runId: string, log: (s: string) => void = () => {}): Promise<RowsProbe[]> {
  const out: RowsProbe[] = [];
  let lastSent = 0;
  for (const events of [1, 3, 10]) {
    const user = `rows-${runId}-${events}`;
    for (const visitor of ["new", "warm"] as const) {
      // A visitor's next beacon comes after the snippet's 5 s interval (past FLUSH_INTERVAL_MS),
      // so the warm beacon shows the usual path, not the one of a beacon within the interval.
      if (visitor === "warm") await new Promise((r) => setTimeout(r, Math.max(0, lastSent + 6000 - Date.now())));
      lastSent = Date.now();
      const before: Counters = await readCounters(url);
      const mine0 = await objectRows(url, site, user);
      const res = await post(url, beacon({ site, user, events, prefix: `rows-${runId}-${events}-${visitor}` }));
      if (res.status !== 202) throw new Error(`rows probe: collect answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.text();
      const ingest = minus(await objectRows(url, site, user), mine0);
      const total = await drain(url, before, events, { quietMs: 2500 });
      const mine = minus(await objectRows(url, site, user), mine0);
      const others: Record<string, number> = {};
      for (const [t, n] of Object.entries(total.rows_by_table)) if (!t.startsWith("user.")) others[t] = n;
      const p: RowsProbe = {
        events,
        visitor,
        ingest: { rows: ingest.rows, statements: ingest.statements, alarm_sets: ingest.alarm_sets, by_table: ingest.by_table },
        total: {
          user_rows: mine.rows,
          ledger_rows: total.ledger_rows_written,
          stats_rows: total.stats_rows_written,
          items_rows: total.items_rows_written ?? 0,
          statements: mine.statements,
          alarm_sets: mine.alarm_sets,
          alarms_run: total.profile_alarms,
          queue_messages: total.queue_messages,
          by_table: { ...Object.fromEntries(Object.entries(mine.by_table).map(([t, n]) => [`user.${t}`, n])), ...others },
        },
      };
      log(`rows: ${visitor} visitor, ${events}-event beacon: ingest ${p.ingest.rows} rows (${p.ingest.statements} statements); in all ${p.total.user_rows} user + ${p.total.ledger_rows} ledger + ${p.total.stats_rows} metrics + ${p.total.items_rows} item rows ${JSON.stringify(p.total.by_table)}`);
      out.push(p);
    }
  }
  return out;
}
