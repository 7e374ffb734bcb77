/** Turns a bench result into docs/PERFORMANCE.md's generated block and an SVG chart. Pure. */
import type { LoadResult } from "./load";
import type { BenchResult, PhaseResult } from "./main";

const f = (n: number | null | undefined, d = 0) => (n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
const pct = (r: number) => (Number.isFinite(r) ? `${(r * 100).toFixed(0)}%` : "–");
const usd = (n: number) => `$${n.toFixed(n < 1 ? 3 : 2)}`;
const tables = (by: Record<string, number>) =>
  Object.entries(by)
    .filter(([, n]) => n)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t} ${f(n)}`)
    .join(", ") || "–";

export function markdown(r: BenchResult): string {
  const L: string[] = [];
  const load = r.machine.loadavg_end ? ` (at the end ${r.machine.loadavg_end.map((x) => x.toFixed(1)).join(" / ")})` : "";
  L.push(`Run: ${r.date} · \`${r.command}\` · ${r.machine.cpus} × ${r.machine.model} · ${r.machine.memory_gb} GB RAM · load average at start ${r.machine.loadavg.map((x) => x.toFixed(1)).join(" / ")}${load} · Node ${r.machine.node} · ${r.settings.seconds} s per phase, ${r.settings.connections} connections`);
  L.push("");
  L.push("### Targets");
  L.push("");
  L.push("| key | target | measured | met |");
  L.push("|---|---|---|---|");
  for (const [k, t] of Object.entries(r.targets)) L.push(`| \`${k}\` | ${t.target} | ${typeof t.value === "string" ? t.value : Number.isFinite(t.value) ? t.value : "not measured"}${t.detail ? ` (${t.detail})` : ""} | ${t.met ? "yes" : "**no**"} |`);

  if (r.mix) {
    const x = r.mix;
    const c = x.counters;
    L.push("");
    L.push("### The realistic mix (visitors as the snippet sends, plus Segment batches)");
    L.push("");
    L.push(`Sessions of 1-8 beacons of 1-8 events (median 3), a session's beacons at least ${f(x.settings.min_gap_ms)} ms apart (the snippet's flush interval), ${pct(x.settings.returning)} of new sessions from visitors back after ${f(x.settings.idle_ms / 1000)} s without a beacon (their object idle), ${pct(x.settings.server_share)} of requests a Segment \`/v1/batch\` of 10-40 messages (server key) for ${f(x.settings.customers)} customers; sessions and carts end after ${x.settings.session_timeout_s} s idle, so their timer events are in the counts. Offered at a steady ${f(x.settings.rate_per_s)} requests/s over ${r.settings.connections} connections (the share of new visitors follows the rate, so every build gets the same traffic; throughput is the fixed phases' measure). ${x.settings.warmup_s} s warm-up, then ${r.settings.seconds} s measured; costs cover both and everything until the lake caught up.`);
    L.push("");
    L.push("| req/s | events/s | p50 ms | p99 ms | requests (new / returning / later beacon / server batch) | events accepted | timer events | rows written per event | $ per million events (rows included) | naive design | ratio |");
    L.push("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    const q = x.load.mix?.requests ?? {};
    L.push(`| ${f(x.load.rps)} | ${f(x.load.events_per_s)} | ${f(x.load.latency_ms.p50)} | ${f(x.load.latency_ms.p99)} | ${f(q.new ?? 0)} / ${f(q.returning ?? 0)} / ${f(q.session ?? 0)} / ${f(q.server ?? 0)} | ${f(x.accepted_events)} | ${f(x.timer_events)} | **${f(x.rows_per_event, 2)}** | ${usd(x.cost.measured.with_storage_usd_per_million)} | ${usd(x.cost.naive.with_storage_usd_per_million)} | **${(x.cost.measured.with_storage_usd_per_million / x.cost.naive.with_storage_usd_per_million).toFixed(2)}** |`);
    L.push("");
    L.push(`Rows written by table (user, ledger, metrics and item-statistics objects): ${tables(c.rows_by_table)} (user objects ran ${f(c.profile_statements)} SQL statements for ${f(c.profile_requests)} ingest calls, ${f(c.profile_alarms)} alarms; ${f(c.events_delivered_again ?? 0)} events delivered to the consumer a second time, paid but not counted as events).`);
    L.push("");
    L.push("| item | count | $ per million events |");
    L.push("|---|---:|---:|");
    for (const l of x.cost.measured.lines) L.push(`| ${l.item} | ${f(l.count)} | ${usd(l.per_million_events)} |`);
    for (const l of x.cost.naive.lines) L.push(`| naive: ${l.item} | ${f(l.count)} | ${usd(l.per_million_events)} |`);
  }

  if (r.rows.length) {
    L.push("");
    L.push("### What one beacon writes (sent alone, followed until its events are in R2)");
    L.push("");
    L.push("The user object's rows are its own; ledger, metrics and item-statistics rows are what those shared objects wrote while the beacon went through (alone, their worst case).");
    L.push("");
    L.push("| beacon | visitor | ingest: rows (statements) | ingest rows by table | user object in all: rows (statements) | its setAlarm calls | ledger rows | metrics rows | item-statistics rows | queue messages | rows by table, in all |");
    L.push("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|");
    for (const p of r.rows) L.push(`| ${p.events} event${p.events > 1 ? "s" : ""} | ${p.visitor} | ${f(p.ingest.rows)} (${f(p.ingest.statements)}) | ${tables(p.ingest.by_table)} | ${f(p.total.user_rows)} (${f(p.total.statements)}) | ${f(p.total.alarm_sets)} | ${f(p.total.ledger_rows)} | ${f(p.total.stats_rows)} | ${f(p.total.items_rows)} | ${f(p.total.queue_messages)} | ${tables(p.total.by_table)} |`);
  }

  if (r.phases.length) {
    L.push("");
    L.push("### Fixed beacons: throughput and latency of POST /v1/collect");
    L.push("");
    L.push("| events/beacon | users | req/s | events/s | p50 ms | p99 ms | ceiling req/s | ceiling p99 ms | req/s vs ceiling | rows/event | non-2xx |");
    L.push("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const p of r.phases) {
      const rows = p.counters ? (p.counters.profile_rows_written + p.counters.ledger_rows_written + p.counters.stats_rows_written + (p.counters.items_rows_written ?? 0)) / Math.max(1, p.cost?.measured.events ?? 0) : NaN;
      L.push(`| ${p.events} | ${p.users_label} | ${f(p.load.rps)} | ${f(p.load.events_per_s)} | ${f(p.load.latency_ms.p50)} | ${f(p.load.latency_ms.p99)} | ${f(p.ceiling.rps)} | ${f(p.ceiling.latency_ms.p99)} | ${pct(p.ratio_rps)} | ${f(rows, 2)} | ${p.load.non2xx + p.load.errors} |`);
    }
  }
  if (r.floor.length || r.disk_phases.length) {
    L.push("");
    L.push("Isolating the stages (10 events per beacon, same run):");
    L.push("");
    L.push("| stage | users | req/s | p50 ms | p99 ms | req/s vs ceiling | req/s vs floor |");
    L.push("|---|---|---:|---:|---:|---:|---:|");
    const ten = r.phases.filter((p) => p.events === 10);
    const floorOf = (users: number) => r.floor.find((x) => (users <= 16) === (x.users <= 16));
    if (ten[0]) L.push(`| empty worker answering 204 (ceiling) | – | ${f(ten[0].ceiling.rps)} | ${f(ten[0].ceiling.latency_ms.p50)} | ${f(ten[0].ceiling.latency_ms.p99)} | 100% | – |`);
    for (const fl of r.floor) L.push(`| floor: worker → one SQLite object per user, one row per beacon | ${fl.users_label} | ${f(fl.load.rps)} | ${f(fl.load.latency_ms.p50)} | ${f(fl.load.latency_ms.p99)} | ${pct(fl.ratio_rps)} | 100% |`);
    for (const p of ten) L.push(`| the collector (storage on tmpfs) | ${p.users_label} | ${f(p.load.rps)} | ${f(p.load.latency_ms.p50)} | ${f(p.load.latency_ms.p99)} | ${pct(p.ratio_rps)} | ${pct(p.load.rps / (floorOf(p.users)?.load.rps ?? NaN))} |`);
    for (const p of r.disk_phases) L.push(`| the collector, storage on this VM's disk | ${p.users_label} | ${f(p.load.rps)} | ${f(p.load.latency_ms.p50)} | ${f(p.load.latency_ms.p99)} | ${pct(p.ratio_rps)} | – |`);
  }
  L.push("");
  L.push("![requests per second as a share of the floor](performance.svg)");
  if (r.freshness) {
    L.push("");
    L.push("### Freshness");
    L.push("");
    L.push("| path | samples | p50 ms | p99 ms |");
    L.push("|---|---:|---:|---:|");
    L.push(`| event → profile, read back (POST, then GET /v1/profiles) | ${r.freshness.read_back.n} | ${f(r.freshness.read_back.p50, 1)} | ${f(r.freshness.read_back.p99, 1)} |`);
    const pu = r.freshness.pushed;
    L.push(pu.available ? `| event → profile, pushed (SSE /v1/profiles/:site/:id/stream) | ${pu.n} | ${f(pu.p50, 1)} | ${f(pu.p99, 1)} |` : `| event → profile, pushed | – | not available | ${pu.reason} |`);
    L.push(`| event → lake object (default flush: ${r.freshness.flush}) | ${r.freshness.lake.n} | ${f(r.freshness.lake.p50)} | ${f(r.freshness.lake.p99)} |`);
  }
  L.push("");
  L.push("### CPU of parse + validate + enrich (Node, zod without JIT as in workerd)");
  L.push("");
  if (r.cpu) {
    L.push(`${r.cpu.measure ?? "median wall time"}; the median wall time per beacon next to it.`);
    L.push("");
    L.push("| events/beacon | CPU µs per event | CPU µs per beacon | wall µs per beacon (median) | samples |");
    L.push("|---:|---:|---:|---:|---:|");
    for (const [n, c] of Object.entries(r.cpu.results)) L.push(`| ${n} | ${f(c.us_per_event, 1)} | ${f(c.us_per_beacon, 1)} | ${f(c.wall_p50_us_per_beacon, 1)} | ${c.samples} |`);
    const a = r.cpu.around_the_beacon;
    if (a) {
      L.push("");
      L.push("Around a 10-event beacon (CPU µs): the RPC argument's structured clone (serialise + deserialise) as records " + `${f(a.rpc_records_us, 1)} µs (${f(a.rpc_records_bytes)} bytes) and packed (schemas/packed.ts) ${f(a.rpc_packed_us, 1)} µs (${f(a.rpc_packed_bytes)} bytes; packing ${f(a.pack_unpack_us, 1)} µs); the state row after 40 events, ${f(a.state_row_bytes)} bytes: JSON.stringify ${f(a.state_row_stringify_us, 1)} µs per beacon, JSON.parse ${f(a.state_row_parse_us, 1)} µs per object lifetime; a structuredClone of the profile (what v1 did per beacon) ${f(a.profile_clone_us, 1)} µs.`);
    }
  } else L.push("not run");
  if (r.snippets.length) {
    L.push("");
    L.push("### Snippet weight (gzip -9 of what a site loads)");
    L.push("");
    L.push("| tracker | version | file | raw bytes | gzip bytes |");
    L.push("|---|---|---|---:|---:|");
    for (const s of r.snippets) L.push(`| ${s.name} | ${s.version ?? "–"} | ${s.file}${s.note ? ` (${s.note})` : ""} | ${f(s.raw_bytes)} | ${f(s.gzip_bytes)} |`);
  }
  if (r.recommendations) L.push("", ...recsMarkdown(r.recommendations));
  if (r.phases.some((p) => p.cost)) {
    L.push("");
    L.push("### Cost per million accepted events, fixed beacons (Workers Paid list prices, beyond included amounts)");
    L.push("");
    L.push("| phase | requests, queue, R2 | + SQLite rows written | naive: requests, queue, R2 | + SQLite rows | ratio (with rows) |");
    L.push("|---|---:|---:|---:|---:|---:|");
    for (const p of r.phases) {
      if (!p.cost) continue;
      const m = p.cost.measured;
      const n = p.cost.naive;
      L.push(`| ${p.events} ev/beacon, ${p.users_label} | ${usd(m.ops_usd_per_million)} | ${usd(m.with_storage_usd_per_million)} | ${usd(n.ops_usd_per_million)} | ${usd(n.with_storage_usd_per_million)} | **${(m.with_storage_usd_per_million / n.with_storage_usd_per_million).toFixed(2)}** |`);
    }
  }
  return L.join("\n");
}

/** The recommendation phases (bench/recs.ts). */
export function recsMarkdown(x: NonNullable<BenchResult["recommendations"]>): string[] {
  const L: string[] = [];
  L.push("### Recommendations and site-wide item statistics");
  L.push("");
  L.push("| phase | req/s | p50 ms | p99 ms | vs ceiling | workerd CPU µs per event | $ per million (with rows) |");
  L.push("|---|---:|---:|---:|---:|---:|---:|");
  for (const i of x.ingest) L.push(`| ingest, 10 ev/beacon, statistics ${i.stats}${i.warmup ? " (warm-up, not compared)" : ""}${i.rate ? `, ${f(i.rate)} req/s offered` : ""} | ${f(i.load.rps)} | ${f(i.load.latency_ms.p50)} | ${f(i.load.latency_ms.p99)} | – | ${i.rate && i.cpu_us_per_event != null ? f(i.cpu_us_per_event) : "–"} | ${usd(i.cost.with_storage_usd_per_million)} per M events |`);
  const rd = x.read;
  L.push(`| GET /v1/recommendations (${f(rd.users)} users) | ${f(rd.load.rps)} | ${f(rd.load.latency_ms.p50)} | ${f(rd.load.latency_ms.p99)} | ${pct(rd.ratio_rps)} (ceiling p99 ${f(rd.ceiling.latency_ms.p99)} ms) | – | ${usd(rd.cost.with_storage_usd_per_million)} per M requests |`);
  L.push("");
  if (x.read_sweep?.length) {
    L.push("GET /v1/recommendations by connections, each next to the empty worker (ceiling) and the read floor (a worker that reads one object per person by RPC and answers its JSON) at the same connections; at 1 connection, the mean is the service time a page sees without queueing:");
    L.push("");
    L.push("| connections | req/s | mean ms | p50 ms | p99 ms | ceiling: req/s, mean, p99 ms | read floor: req/s, mean, p99 ms | req/s vs ceiling | vs read floor | RPCs per request: user, item, trend |");
    L.push("|---:|---:|---:|---:|---:|---|---|---:|---:|---|");
    const cell = (l: LoadResult | undefined) => (l ? `${f(l.rps)}, ${f(l.latency_ms.mean, 2)}, ${f(l.latency_ms.p99)}` : "–");
    for (const p of x.read_sweep) L.push(`| ${p.connections} | ${f(p.load.rps)} | ${f(p.load.latency_ms.mean, 2)} | ${f(p.load.latency_ms.p50)} | ${f(p.load.latency_ms.p99)} | ${cell(p.ceiling)} | ${cell(p.floor)} | ${pct(p.ratio_rps)} | ${p.floor ? pct(p.load.rps / p.floor.rps) : "–"} | ${f(p.rpcs.user, 2)}, ${f(p.rpcs.item_reads, 2)}, ${f(p.rpcs.trend_reads, 2)} |`);
    L.push("");
  }
  const ps = (xs: number[]) => xs.map((p) => `${(p * 100).toFixed(1)}%`).join(", ");
  L.push(`Ingest with statistics on vs off: ${(x.ingest_rps.change * 100).toFixed(1)}% req/s (median over the "on" runs, each against the mean of the "off" runs before and after it: ${ps(x.ingest_rps.pairs)}).`);
  if (x.ingest_cpu) L.push(`At ${f(x.ingest_cpu.rate)} requests/s offered (half the "off" runs' req/s), workerd CPU per event with statistics on vs off: ${x.ingest_cpu.change >= 0 ? "+" : ""}${(x.ingest_cpu.change * 100).toFixed(1)}% (${f(x.ingest_cpu.on)} vs ${f(x.ingest_cpu.off)} µs; the "on" runs around each "off" run against it: ${ps(x.ingest_cpu.pairs)}).`);
  return L;
}

/** Horizontal bars: req/s of each 10-event phase and the mix as a share of the floor, with the 70% target line. */
export function svg(r: Pick<BenchResult, "phases" | "floor">): string {
  const floorOf = (p: PhaseResult) => r.floor.find((x) => (p.users <= 16) === (x.users <= 16))?.load.rps ?? NaN;
  const bars = r.phases.filter((p) => p.events === 10).map((p) => ({ label: `10 ev/beacon, ${p.users_label}`, ratio: p.load.rps / floorOf(p) }));
  const W = 640;
  const rowH = 28;
  const left = 200;
  const barW = W - left - 60;
  const H = 40 + bars.length * rowH + 30;
  const x = (v: number) => left + Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * barW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="20" font-weight="bold">POST /v1/collect req/s as a share of the floor worker's</text>`);
  bars.forEach((b, i) => {
    const y = 36 + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${b.label}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${barW}" height="20" fill="#eee"/>`);
    out.push(`<rect x="${left}" y="${y}" width="${(x(b.ratio) - left).toFixed(1)}" height="20" fill="${b.ratio >= 0.7 ? "#2a9d8f" : "#e76f51"}"/>`);
    out.push(`<text x="${x(b.ratio) + 4}" y="${y + 15}">${Number.isFinite(b.ratio) ? (b.ratio * 100).toFixed(0) : "–"}%</text>`);
  });
  const t = x(0.7);
  out.push(`<line x1="${t}" y1="30" x2="${t}" y2="${H - 24}" stroke="#264653" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${t}" y="${H - 10}" text-anchor="middle">target 70%</text>`);
  out.push(`</svg>`);
  return out.join("\n");
}

/**
 * `npm run bench -- --only recs`: that run's recommendation section and its targets' rows in
 * the generated block, the rest of the block (the last full run) untouched; the section says
 * which run it comes from. Unchanged when the block has no such section (run the full bench).
 */
export function spliceRecs(doc: string, x: NonNullable<BenchResult["recommendations"]>, run: { date: string; command: string; loadavg: number[]; loadavg_end?: number[] }): string {
  const begin = doc.indexOf("<!-- bench:begin");
  const end = doc.indexOf("<!-- bench:end -->");
  const heading = "### Recommendations and site-wide item statistics";
  const h = doc.indexOf(heading, begin);
  if (begin < 0 || end < begin || h < 0 || h > end) return doc;
  const next = doc.indexOf("\n### ", h + heading.length);
  const stop = next >= 0 && next < end ? next + 1 : end;
  const [first, ...rest] = recsMarkdown(x);
  const load = (l: number[]) => l.map((v) => v.toFixed(1)).join(" / ");
  const section = [first!, "", `From \`${run.command}\` of ${run.date} (load average ${load(run.loadavg)}${run.loadavg_end ? `, at the end ${load(run.loadavg_end)}` : ""}); the rest of this block comes from the full run named at its top.`, ...rest, ""].join("\n");
  let out = doc.slice(0, h) + section + "\n" + doc.slice(stop);
  for (const [k, t] of Object.entries(x.targets)) out = out.replace(new RegExp(`^\\| \`${k}\` \\|.*$`, "m"), () => `| \`${k}\` | ${t.target} | ${t.value} (--only recs, ${run.date.slice(0, 10)}) | ${t.met ? "yes" : "**no**"} |`);
  return out;
}

/** Replaces the generated block of docs/PERFORMANCE.md, keeping the hand-written text around it. */
export function spliceGenerated(doc: string, block: string): string {
  const begin = "<!-- bench:begin (generated by npm run bench) -->";
  const end = "<!-- bench:end -->";
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) return `${doc.trimEnd()}\n\n${begin}\n${block}\n${end}\n`;
  return `${doc.slice(0, i + begin.length)}\n${block}\n${doc.slice(j)}`;
}
