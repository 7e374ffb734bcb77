/** Turns a bench result into docs/PERFORMANCE.md's generated block and an SVG chart. Pure. */
import type { BenchResult, PhaseResult } from "./main";

const f = (n: number | null | undefined, d = 0) => (n === null || n === undefined || !Number.isFinite(n) ? "–" : n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
const pct = (r: number) => (Number.isFinite(r) ? `${(r * 100).toFixed(0)}%` : "–");
const usd = (n: number) => `$${n.toFixed(n < 1 ? 3 : 2)}`;

export function markdown(r: BenchResult): string {
  const L: string[] = [];
  L.push(`Run: ${r.date} · \`${r.command}\` · ${r.machine.cpus} × ${r.machine.model} · ${r.machine.memory_gb} GB RAM · load average at start ${r.machine.loadavg.map((x) => x.toFixed(1)).join(" / ")} · Node ${r.machine.node} · ${r.settings.seconds} s per phase, ${r.settings.connections} connections`);
  L.push("");
  L.push("### Throughput and latency of POST /v1/collect, as a ratio to the ceiling");
  L.push("");
  L.push("| events/beacon | users | req/s | events/s | p50 ms | p99 ms | ceiling req/s | ceiling p99 ms | req/s vs ceiling | non-2xx |");
  L.push("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const p of r.phases) {
    L.push(`| ${p.events} | ${p.users_label} | ${f(p.load.rps)} | ${f(p.load.events_per_s)} | ${f(p.load.latency_ms.p50)} | ${f(p.load.latency_ms.p99)} | ${f(p.ceiling.rps)} | ${f(p.ceiling.latency_ms.p99)} | **${pct(p.ratio_rps)}** | ${p.load.non2xx + p.load.errors} |`);
  }
  if (r.floor.length || r.disk_phases.length) {
    L.push("");
    L.push("Isolating the stages (10 events per beacon, same ceiling):");
    L.push("");
    L.push("| stage | users | req/s | p50 ms | p99 ms | req/s vs ceiling |");
    L.push("|---|---|---:|---:|---:|---:|");
    const ten = r.phases.filter((p) => p.events === 10);
    if (ten[0]) L.push(`| empty worker answering 204 (ceiling) | – | ${f(ten[0].ceiling.rps)} | ${f(ten[0].ceiling.latency_ms.p50)} | ${f(ten[0].ceiling.latency_ms.p99)} | 100% |`);
    for (const fl of r.floor) L.push(`| floor: worker → one SQLite object per user, one row per beacon | ${fl.users_label} | ${f(fl.load.rps)} | ${f(fl.load.latency_ms.p50)} | ${f(fl.load.latency_ms.p99)} | ${pct(fl.ratio_rps)} |`);
    for (const p of ten) L.push(`| the collector (storage on tmpfs) | ${p.users_label} | ${f(p.load.rps)} | ${f(p.load.latency_ms.p50)} | ${f(p.load.latency_ms.p99)} | ${pct(p.ratio_rps)} |`);
    for (const p of r.disk_phases) L.push(`| the collector, storage on this VM's disk | ${p.users_label} | ${f(p.load.rps)} | ${f(p.load.latency_ms.p50)} | ${f(p.load.latency_ms.p99)} | ${pct(p.ratio_rps)} |`);
  }
  L.push("");
  L.push("![requests per second as a share of the ceiling](performance.svg)");
  L.push("");
  L.push("### Targets");
  L.push("");
  L.push("| target | measured | met |");
  L.push("|---|---|---|");
  for (const t of Object.values(r.targets)) L.push(`| ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`);
  L.push("");
  L.push("### Freshness");
  L.push("");
  L.push("| path | samples | p50 ms | p99 ms |");
  L.push("|---|---:|---:|---:|");
  L.push(`| event → profile, read back (POST, then GET /v1/profiles) | ${r.freshness.read_back.n} | ${f(r.freshness.read_back.p50, 1)} | ${f(r.freshness.read_back.p99, 1)} |`);
  const pu = r.freshness.pushed;
  L.push(pu.available ? `| event → profile, pushed (SSE /v1/profiles/:site/:id/stream) | ${pu.n} | ${f(pu.p50, 1)} | ${f(pu.p99, 1)} |` : `| event → profile, pushed | – | not available | ${pu.reason} |`);
  L.push(`| event → lake object (default flush: ${r.freshness.flush}) | ${r.freshness.lake.n} | ${f(r.freshness.lake.p50)} | ${f(r.freshness.lake.p99)} |`);
  L.push("");
  L.push("### CPU of parse + validate + enrich (vitest bench, Node, zod without JIT as in workerd)");
  L.push("");
  if (r.cpu) {
    L.push("| events/beacon | µs per event (median) | µs per beacon (median) | samples |");
    L.push("|---:|---:|---:|---:|");
    for (const [n, c] of Object.entries(r.cpu.results)) L.push(`| ${n} | ${f(c.us_per_event, 1)} | ${f(c.us_per_beacon, 1)} | ${c.samples} |`);
  } else L.push("not run");
  L.push("");
  L.push("### Snippet weight (gzip -9 of what a site loads)");
  L.push("");
  if (r.snippets.length) {
    L.push("| tracker | version | file | raw bytes | gzip bytes |");
    L.push("|---|---|---|---:|---:|");
    for (const s of r.snippets) L.push(`| ${s.name} | ${s.version ?? "–"} | ${s.file}${s.note ? ` (${s.note})` : ""} | ${f(s.raw_bytes)} | ${f(s.gzip_bytes)} |`);
  } else L.push("not run (smoke)");
  L.push("");
  L.push("### Cost per million accepted events (Workers Paid list prices, beyond included amounts)");
  L.push("");
  L.push("| phase | measured: requests, queue, R2 | + SQLite rows written | naive: requests, queue, R2 | + SQLite rows | ratio (ops) | ratio (with rows) |");
  L.push("|---|---:|---:|---:|---:|---:|---:|");
  for (const p of r.phases) {
    if (!p.cost) continue;
    const m = p.cost.measured;
    const n = p.cost.naive;
    L.push(`| ${p.events} ev/beacon, ${p.users_label} | ${usd(m.ops_usd_per_million)} | ${usd(m.with_storage_usd_per_million)} | ${usd(n.ops_usd_per_million)} | ${usd(n.with_storage_usd_per_million)} | **${(m.ops_usd_per_million / n.ops_usd_per_million).toFixed(2)}** | ${(m.with_storage_usd_per_million / n.with_storage_usd_per_million).toFixed(2)} |`);
  }
  if (r.recommendations) L.push("", ...recsMarkdown(r.recommendations));
  const head = r.phases.find((p) => p.events === 10 && p.users > 16 && p.cost);
  if (head?.cost) {
    L.push("");
    L.push(`Operations counted in the 10-events, ${head.users_label} phase (${f(head.cost.measured.events)} accepted events):`);
    L.push("");
    L.push("| item | count | $ per million events |");
    L.push("|---|---:|---:|");
    for (const l of head.cost.measured.lines) L.push(`| ${l.item} | ${f(l.count)} | ${usd(l.per_million_events)} |`);
  }
  return L.join("\n");
}

/** The recommendation phases (bench/recs.ts). */
export function recsMarkdown(x: NonNullable<BenchResult["recommendations"]>): string[] {
  const L: string[] = [];
  L.push("### Recommendations and site-wide item statistics");
  L.push("");
  L.push("| phase | req/s | p50 ms | p99 ms | vs ceiling | $ per million (with rows) |");
  L.push("|---|---:|---:|---:|---:|---:|");
  for (const i of x.ingest) L.push(`| ingest, 10 ev/beacon, statistics ${i.stats} | ${f(i.load.rps)} | ${f(i.load.latency_ms.p50)} | ${f(i.load.latency_ms.p99)} | – | ${usd(i.cost.with_storage_usd_per_million)} per M events |`);
  const rd = x.read;
  L.push(`| GET /v1/recommendations (${f(rd.users)} users) | ${f(rd.load.rps)} | ${f(rd.load.latency_ms.p50)} | ${f(rd.load.latency_ms.p99)} | ${pct(rd.ratio_rps)} (ceiling p99 ${f(rd.ceiling.latency_ms.p99)} ms) | ${usd(rd.cost.with_storage_usd_per_million)} per M requests |`);
  L.push("");
  L.push(`Ingest with statistics on vs off: ${(x.ingest_rps.change * 100).toFixed(1)}% req/s (median of three alternating pairs: ${x.ingest_rps.pairs.map((p) => `${(p * 100).toFixed(1)}%`).join(", ")}).`);
  return L;
}

/** Horizontal bars: req/s as a share of the ceiling for each phase, with the 40% target line. */
export function svg(phases: readonly PhaseResult[]): string {
  const W = 640;
  const rowH = 28;
  const left = 200;
  const barW = W - left - 60;
  const H = 40 + phases.length * rowH + 30;
  const x = (r: number) => left + Math.min(1, Math.max(0, r)) * barW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="20" font-weight="bold">POST /v1/collect req/s as a share of the 204 ceiling</text>`);
  phases.forEach((p, i) => {
    const y = 36 + i * rowH;
    const ok = p.ratio_rps >= 0.4;
    out.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${p.events} ev/beacon, ${p.users_label}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${barW}" height="20" fill="#eee"/>`);
    out.push(`<rect x="${left}" y="${y}" width="${(x(p.ratio_rps) - left).toFixed(1)}" height="20" fill="${ok ? "#2a9d8f" : "#e76f51"}"/>`);
    out.push(`<text x="${x(p.ratio_rps) + 4}" y="${y + 15}">${Number.isFinite(p.ratio_rps) ? (p.ratio_rps * 100).toFixed(0) : "–"}%</text>`);
  });
  const t = x(0.4);
  out.push(`<line x1="${t}" y1="30" x2="${t}" y2="${H - 24}" stroke="#264653" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${t}" y="${H - 10}" text-anchor="middle">target 40%</text>`);
  out.push(`</svg>`);
  return out.join("\n");
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
