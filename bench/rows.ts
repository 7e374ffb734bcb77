/**
 * What one beacon writes, by table: a new visitor's first beacon and a warm visitor's next one
 * (after the first reached the lake), for 1, 3 and 10 events. Each beacon is sent alone and
 * followed until its events are in R2, so the numbers hold everything the beacon causes: the
 * ingest transaction, the alarm, the flush, the ledger and the metrics objects.
 */
import { beacon, BENCH_UA } from "./bodies";
import { diffCounters, type Counters } from "./cost";
import { drain, readCounters } from "./drain";

export interface RowsProbe {
  events: number;
  visitor: "new" | "warm";
  /** During the POST (the ingest transaction and what it set off before answering). */
  ingest: { rows: number; statements: number; alarm_sets: number; by_table: Record<string, number> };
  /** Everything, until the events are in R2 and the counters stand still. */
  total: { user_rows: number; ledger_rows: number; stats_rows: number; statements: number; alarm_sets: number; alarms_run: number; queue_messages: number; by_table: Record<string, number> };
}

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": BENCH_UA }, body: JSON.stringify(body) });

function summarise(c: Counters) {
  return { rows: c.profile_rows_written, statements: c.profile_statements, alarm_sets: c.profile_alarm_sets, by_table: c.rows_by_table };
}

export async function rowsProbe(url: string, site: string, runId: string, log: (s: string) => void = () => {}): Promise<RowsProbe[]> {
  const out: RowsProbe[] = [];
  for (const events of [1, 3, 10]) {
    const user = `rows-${runId}-${events}`;
    for (const visitor of ["new", "warm"] as const) {
      const before: Counters = await readCounters(url);
      const res = await post(url, beacon({ site, user, events, prefix: `rows-${runId}-${events}-${visitor}` }));
      if (res.status !== 202) throw new Error(`rows probe: collect answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      await res.text();
      const ingest = diffCounters(await readCounters(url), before);
      const total = await drain(url, before, events, { quietMs: 2500 });
      const p: RowsProbe = {
        events,
        visitor,
        ingest: summarise(ingest),
        total: {
          user_rows: total.profile_rows_written,
          ledger_rows: total.ledger_rows_written,
          stats_rows: total.stats_rows_written,
          statements: total.profile_statements,
          alarm_sets: total.profile_alarm_sets,
          alarms_run: total.profile_alarms,
          queue_messages: total.queue_messages,
          by_table: total.rows_by_table,
        },
      };
      log(`rows: ${visitor} visitor, ${events}-event beacon: ingest ${p.ingest.rows} rows (${p.ingest.statements} statements); in all ${p.total.user_rows} user + ${p.total.ledger_rows} ledger + ${p.total.stats_rows} metrics rows ${JSON.stringify(p.total.by_table)}`);
      out.push(p);
    }
  }
  return out;
}
