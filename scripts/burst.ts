/**
 * A scripted burst of known traffic against a running collector, then a check that
 * GET /v1/admin/stats/<site> shows the same counts: accepted by type, duplicates, and
 * rejections by reason. Used by e2e/dashboard.e2e.test.ts and by hand against `npm run dev`:
 *
 *   npm run burst                      # http://127.0.0.1:8787, site demo, dev-admin-token
 *   COLLECTOR_URL=http://127.0.0.1:9000 ADMIN_TOKEN=... SITE=demo npm run burst
 *
 * Counts are compared as the change between before and after, so earlier traffic is fine.
 */
export interface Expected {
  requests: number;
  accepted: Record<string, number>;
  accepted_total: number;
  duplicates: number;
  rejected: Record<string, number>;
  rejected_total: number;
}

export interface BurstResult {
  expected: Expected;
  observed: Expected;
  ok: boolean;
  ms: number;
}

type Totals = { requests: number; accepted: Record<string, number>; accepted_total: number; duplicates: number; rejected: Record<string, number>; rejected_total: number; lake_events: number };

const BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const rid = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

export async function burst(url: string, opts: { token: string; site?: string; users?: number; timeoutMs?: number }): Promise<BurstResult> {
  const site = opts.site ?? "demo";
  const users = opts.users ?? 24;
  const started = Date.now();
  const totals = async (): Promise<Totals> => {
    const res = await fetch(`${url}/v1/admin/stats/${site}?minutes=60`, { headers: { authorization: `Bearer ${opts.token}` } });
    if (!res.ok) throw new Error(`stats: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { totals: Totals }).totals;
  };
  const before = await totals();
  const exp: Expected = { requests: 0, accepted: {}, accepted_total: 0, duplicates: 0, rejected: {}, rejected_total: 0 };
  const add = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);

  const now = () => new Date().toISOString();
  const event = (type: string, props: Record<string, unknown>) => ({ id: `burst-${rid()}`, type, ts: now(), props });
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    exp.requests++;
    const res = await fetch(`${url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": BROWSER_UA, ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { accepted?: number; duplicates?: number; rejected?: unknown[] } };
  };
  const envelope = (events: unknown[]) => ({ site, anonymous_id: `burst-${rid()}`, session_id: `s-${rid()}`, sent_at: now(), context: { page_url: "https://shop.example/p/sku-1?utm_source=burst" }, events });

  // 1. Valid beacons, one user each, a mix of event types.
  const sent: ReturnType<typeof envelope>[] = [];
  for (let i = 0; i < users; i++) {
    const events = [event("page_view", { path: `/p/sku-${i}` }), event("product_view", { product_id: `sku-${i}`, category: "shoes", price: 59.9, currency: "EUR" })];
    if (i % 2 === 0) events.push(event("product_click", { product_id: `sku-${i}`, position: i }));
    if (i % 3 === 0) events.push(event("add_to_cart", { product_id: `sku-${i}`, quantity: 1 }));
    if (i % 4 === 0) events.push(event("search", { query: "boots" }));
    if (i % 8 === 0) events.push(event("purchase", { order_id: `o-${rid()}`, revenue: 59.9, currency: "EUR", items: [{ product_id: `sku-${i}`, quantity: 1 }] }));
    const env = envelope(events);
    sent.push(env);
    const r = await post(env);
    if (r.status !== 202 || r.body.accepted !== events.length) throw new Error(`beacon ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    for (const e of events) add(exp.accepted, e.type);
  }
  // 2. Some beacons again (a retrying client): every event is a duplicate.
  for (const env of sent.slice(0, Math.ceil(users / 4))) {
    const r = await post(env);
    if (r.body.duplicates !== env.events.length) throw new Error(`resend: ${JSON.stringify(r.body)}`);
    exp.duplicates += env.events.length;
  }
  // 3. Beacons with one refused event each (product_click without product_id): the rest is accepted.
  for (let i = 0; i < 3; i++) {
    const r = await post(envelope([event("page_view", { path: "/mixed" }), event("product_click", { category: "shoes" })]));
    if (r.status !== 202 || r.body.accepted !== 1 || r.body.rejected?.length !== 1) throw new Error(`mixed: ${JSON.stringify(r.body)}`);
    add(exp.accepted, "page_view");
    add(exp.rejected, "invalid_event");
  }
  // 4. Refused requests: envelopes without sent_at, and an origin the site does not allow.
  for (let i = 0; i < 2; i++) {
    const r = await post({ site, anonymous_id: `burst-${rid()}`, events: [event("page_view", {})] });
    if (r.status !== 400) throw new Error(`invalid envelope: ${r.status}`);
    add(exp.rejected, "invalid_envelope");
  }
  const r = await post(envelope([event("page_view", {})]), { origin: "https://not-allowed.example" });
  if (r.status !== 403) throw new Error(`origin: ${r.status}`);
  add(exp.rejected, "origin_not_allowed");

  exp.accepted_total = Object.values(exp.accepted).reduce((a, b) => a + b, 0);
  exp.rejected_total = Object.values(exp.rejected).reduce((a, b) => a + b, 0);

  // Wait until the counts settle: flushes (FLUSH_INTERVAL_MS) and the consumer (2 s) first.
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let observed = exp;
  let ok = false;
  for (;;) {
    const after = await totals();
    observed = diff(before, after);
    ok = JSON.stringify(sorted(observed)) === JSON.stringify(sorted(exp)) && after.lake_events - before.lake_events === exp.accepted_total;
    if (ok || Date.now() > deadline) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  return { expected: exp, observed, ok, ms: Date.now() - started };
}

function diff(a: Totals, b: Totals): Expected {
  const sub = (x: Record<string, number>, y: Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) if ((y[k] ?? 0) - (x[k] ?? 0)) out[k] = (y[k] ?? 0) - (x[k] ?? 0);
    return out;
  };
  return { requests: b.requests - a.requests, accepted: sub(a.accepted, b.accepted), accepted_total: b.accepted_total - a.accepted_total, duplicates: b.duplicates - a.duplicates, rejected: sub(a.rejected, b.rejected), rejected_total: b.rejected_total - a.rejected_total };
}

function sorted(e: Expected): Expected {
  const s = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
  return { ...e, accepted: s(e.accepted), rejected: s(e.rejected) };
}

// As a script (npm run burst): prints what was sent and what the collector shows.
if (typeof process !== "undefined" && process.env.BURST_CLI === "1") {
  const url = process.env.COLLECTOR_URL ?? "http://127.0.0.1:8787";
  burst(url, { token: process.env.ADMIN_TOKEN ?? "dev-admin-token", site: process.env.SITE ?? "demo" }).then(
    (r) => {
      console.log(JSON.stringify({ url, ok: r.ok, ms: r.ms, sent: r.expected, stats: r.observed }, null, 2));
      console.log(r.ok ? `OK: /v1/admin/stats shows exactly what was sent (${r.ms} ms). Dashboard: ${url}/admin` : "MISMATCH between what was sent and /v1/admin/stats");
      process.exit(r.ok ? 0 : 1);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
