/**
 * Field-by-field fuzzing of every public route in workerd: each field of a valid /v1/collect
 * beacon and of a valid Segment message (paths taken from the zod schemas and Segment's spec)
 * set to extreme or malformed dates, numbers at the edges of their types (raw JSON literals
 * such as 1e400 included) and unicode edge cases; and hostile path parameters and query
 * strings on every read and admin route of the app's route table. Never a 5xx; every refusal
 * names a field; whatever is accepted keeps every profile time, timer and alarm in the window.
 */
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { propsByType, TIME_WINDOW, type ClientEventType } from "../../schemas";
import { app } from "../../worker/app";
import { edgeString, encodeAny, extremeDate, hostileValue, jsonWithRawNumbers, rawNumberLiteral, urlPart, validEvent } from "./arbitraries";
import { ADMIN, CHROME } from "../helpers";

type Path = (string | number)[];
let n = 0;
const fresh = (p: string) => `${p}-${Date.now().toString(36)}-${(n++).toString(36)}`;

function setPath(root: Record<string, any>, path: Path, value: unknown): void {
  let o: any = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (o[k] === null || typeof o[k] !== "object") o[k] = typeof path[i + 1] === "number" ? [] : {};
    o = o[k];
  }
  o[path[path.length - 1]!] = value;
}

/** A mutation: a path and either a hostile JSON value or a raw number literal. */
const mutation = (paths: fc.Arbitrary<Path>) => fc.tuple(paths, fc.oneof({ weight: 4, arbitrary: hostileValue.map((v) => ({ v })) }, { weight: 1, arbitrary: rawNumberLiteral.map((lit) => ({ lit })) }));

/** The JSON text of a copy of `original` with the mutations applied. */
function apply(original: Record<string, any>, muts: [Path, { v?: unknown; lit?: string }][]): string {
  const base = structuredClone(original);
  const raw = new Map<string, string>();
  for (const [path, m] of muts) {
    if (m.lit !== undefined) {
      const mark = `__raw_${raw.size}__`;
      raw.set(mark, m.lit);
      setPath(base, path, mark);
    } else setPath(base, path, m.v);
  }
  return jsonWithRawNumbers(base, raw);
}

/** 4xx answers are JSON naming at least one field. */
async function expectSound(res: Response, what: string) {
  expect(res.status, what).toBeLessThan(500);
  const type = res.headers.get("content-type") ?? "";
  const text = await res.text();
  if (res.status >= 400 && type.includes("json")) {
    const body = JSON.parse(text);
    expect(typeof body.error, what).toBe("string");
    if (body.details !== undefined) for (const d of body.details) expect(typeof d.path).toBe("string");
  }
  return { status: res.status, json: type.includes("json") ? JSON.parse(text) : null };
}

/** Every time in the owner's profile and object is inside the window; returns false when there is no profile. */
async function expectTimesInWindow(site: string, owner: unknown, since: number, source: "browser" | "server") {
  if (typeof owner !== "string") return false;
  const w = TIME_WINDOW[source];
  const stub = env.PROFILES.get(env.PROFILES.idFromName(`${site}:${owner}`));
  const p = (await stub.getProfile()) as any;
  if (!p) return false;
  const times = [p.first_seen, p.last_seen, p.sessions.current?.started_at, p.sessions.current?.last_activity, p.cart.updated_at, ...p.recent_products.map((x: any) => x.at), ...p.recent_searches.map((x: any) => x.at)];
  for (const t of times.filter((x) => x !== null && x !== undefined)) {
    const ms = Date.parse(t);
    expect(ms >= since - w.pastMs - 60_000 && ms <= Date.now() + w.futureMs, `${t} in the ${source} window`).toBe(true);
  }
  const state = await stub.bufferState();
  for (const due of Object.values(state.timers)) expect(Number.isFinite(due) && due >= since - w.pastMs - 60_000).toBe(true);
  if (state.alarm !== null) expect(state.alarm >= since - 60_000).toBe(true);
  return true;
}

describe("fuzzing every field of POST /v1/collect", () => {
  const ENVELOPE_PATHS: Path[] = [["site"], ["anonymous_id"], ["user_id"], ["user_id_sig"], ["session_id"], ["consent"], ["sent_at"], ["context"], ["context", "page_url"], ["context", "referrer"], ["context", "title"], ["context", "locale"], ["context", "timezone"], ["context", "screen", "w"], ["context", "screen", "h"], ["events"], ["events", 0]];
  const eventPaths = (type: ClientEventType): Path[] => [
    ["events", 0, "id"], ["events", 0, "type"], ["events", 0, "ts"], ["events", 0, "ts"], ["events", 0, "props"],
    ...Object.keys(propsByType[type].shape).map((k) => ["events", 0, "props", k]),
    ...(type === "purchase" ? [["events", 0, "props", "items", 0, "product_id"], ["events", 0, "props", "items", 0, "quantity"], ["events", 0, "props", "items", 0, "price"]] : []),
    ...(type === "custom" ? [["events", 0, "props", "properties", "k"]] : []),
  ];

  it("answers 1,000 beacons with an extreme date and up to two hostile fields each: never a 5xx, and accepted times stay in the window", async () => {
    const statuses: Record<number, number> = {};
    let checked = 0;
    const since = Date.now();
    const beacon = validEvent.chain((e) => {
      // Always one extreme date in sent_at or ts (so the window is exercised by beacons that are
      // otherwise valid), plus up to two hostile values anywhere.
      const time = fc.tuple(fc.constantFrom<Path>(["sent_at"], ["events", 0, "ts"]), extremeDate.map((v) => ({ v }) as { v?: unknown; lit?: string }));
      const paths = fc.constantFrom(...ENVELOPE_PATHS, ...eventPaths(e.type as ClientEventType));
      return fc.tuple(fc.constant(e), fc.tuple(time, fc.array(mutation(paths), { maxLength: 2 })).map(([t, rest]) => [t, ...rest]));
    });
    await fc.assert(
      fc.asyncProperty(beacon, async ([e, muts]) => {
        const now = new Date().toISOString();
        const base: Record<string, any> = { site: "demo", anonymous_id: fresh("fz"), session_id: "s-1", sent_at: now, context: { page_url: "https://shop.example/p/1", screen: { w: 1440, h: 900 } }, events: [{ id: fresh("ev"), ts: now, ...structuredClone(e) }] };
        const body = apply(base, muts);
        const res = await exports.default.fetch(new Request("https://collector.test/v1/collect", { method: "POST", headers: { "content-type": "text/plain", "user-agent": CHROME }, body }));
        const { status, json } = await expectSound(res, body.slice(0, 300));
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 202) {
          expect(json.accepted + json.duplicates + json.rejected.length).toBe(1);
          if (json.accepted === 1 && (await expectTimesInWindow("demo", base.user_id ?? base.anonymous_id, since, "browser"))) checked++;
        }
      }),
      { numRuns: 1000 },
    );
    console.log(`fuzz collect fields: 1000 beacons -> ${JSON.stringify(statuses)}, ${checked} profiles checked`);
    expect(statuses[202]).toBeGreaterThan(30);
    expect(checked).toBeGreaterThan(15);
  }, 300_000);
});

describe("fuzzing every field of the Segment-compatible API", () => {
  const MESSAGE_PATHS: Path[] = [
    ["type"], ["event"], ["messageId"], ["anonymousId"], ["userId"], ["previousId"], ["groupId"], ["timestamp"], ["timestamp"], ["originalTimestamp"], ["sentAt"], ["sentAt"], ["name"],
    ["properties"], ["properties", "product_id"], ["properties", "sku"], ["properties", "price"], ["properties", "quantity"], ["properties", "revenue"], ["properties", "total"], ["properties", "currency"], ["properties", "query"], ["properties", "position"], ["properties", "url"],
    ["properties", "products", 0, "product_id"], ["properties", "products", 0, "price"], ["properties", "products", 0, "quantity"], ["properties", "nested", "deep", "x"],
    ["context"], ["context", "page", "url"], ["context", "page", "referrer"], ["context", "page", "title"], ["context", "screen", "width"], ["context", "screen", "height"], ["context", "locale"], ["context", "timezone"], ["context", "userAgent"], ["context", "sessionId"], ["context", "location", "latitude"], ["context", "location", "country"], ["context", "ip"],
    ["traits", "email"], ["traits"],
  ];
  const message = fc.record({
    type: fc.constantFrom("track", "page", "screen", "identify", "alias", "group"),
    event: fc.constantFrom("Product Viewed", "Product Added", "Order Completed", "Products Searched", "Signed Up"),
  }).map(({ type, event }) => ({
    type, event, messageId: fresh("m"), anonymousId: fresh("sa"), userId: fresh("su"), previousId: fresh("sp"), groupId: "g-1", timestamp: new Date().toISOString(),
    properties: { product_id: "sku-1", price: 10, quantity: 1, revenue: 10, currency: "EUR", query: "q", products: [{ product_id: "sku-1", quantity: 1, price: 10 }] },
    context: { page: { url: "https://shop.example/" }, userAgent: CHROME }, traits: { plan: "pro" },
  }));

  it("answers 400 requests with one to three hostile fields per message: never a 5xx, and accepted times stay in their window", async () => {
    const statuses: Record<number, number> = {};
    let checked = 0;
    const since = Date.now();
    const request = fc.tuple(
      fc.array(fc.tuple(message, fc.array(mutation(fc.constantFrom(...MESSAGE_PATHS)), { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 }),
      fc.array(mutation(fc.constantFrom<Path>(["sentAt"], ["context"], ["context", "page", "url"], ["writeKey"], ["batch"])), { maxLength: 1 }),
      fc.constantFrom("server" as const, "browser" as const),
      fc.boolean(),
    );
    await fc.assert(
      fc.asyncProperty(request, async ([msgs, batchMuts, key, asBatch]) => {
        const batch = msgs.map(([m, muts]) => JSON.parse(apply(m, muts)) as Record<string, unknown>);
        const raw = asBatch ? apply({ batch: msgs.map(([m]) => m), sentAt: new Date().toISOString() }, [...msgs.flatMap(([, muts], i) => muts.map(([p, v]) => [["batch", i, ...p], v] as [Path, { v?: unknown; lit?: string }])), ...batchMuts]) : apply(msgs[0]![0], msgs[0]![1]);
        const path = asBatch ? "/v1/batch" : `/v1/${typeof msgs[0]![0].type === "string" ? msgs[0]![0].type : "track"}`;
        const headers: Record<string, string> = { "content-type": "application/json", authorization: `Basic ${btoa(key === "server" ? "test-server-key:" : "demo-browser-key:")}` };
        if (key === "browser") headers.origin = "http://localhost:3000";
        const res = await exports.default.fetch(new Request(`https://collector.test${path}`, { method: "POST", headers, body: raw }));
        const { status, json } = await expectSound(res, raw.slice(0, 300));
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200 && json.accepted > 0) {
          for (const m of batch) if (await expectTimesInWindow("demo", m.userId ?? m.anonymousId, since, key)) checked++;
        }
      }),
      { numRuns: 400 },
    );
    console.log(`fuzz segment fields: 400 requests -> ${JSON.stringify(statuses)}, ${checked} profiles checked`);
    expect(statuses[200]).toBeGreaterThan(40);
    expect(checked).toBeGreaterThan(20);
  }, 300_000);
});

describe("fuzzing path parameters and query strings of every public, read and admin route", () => {
  // Every route of the app's table but the pages (/demo, /admin) and the streams, which stay open by design (test/stream.integration.test.ts).
  const routes = [...new Map(app.routes.filter((r) => ["GET", "DELETE", "POST"].includes(r.method) && r.path !== "/*" && !/^\/(demo|admin)\b/.test(r.path) && !/stream|tail/.test(r.path)).map((r) => [`${r.method} ${r.path}`, r])).values()];
  const QUERY_KEYS = ["prefix", "cursor", "limit", "minutes", "raw", "site", "id", "from", "to", "dt", "hr", "writeKey", "sig", "context", "exclude", "__proto__"];

  function concrete(path: string, parts: string[]): string {
    let i = 0;
    return path.replace(/:[a-z_]+(\{[^}]*\})?/gi, (m) => (m.startsWith(":key") ? `events/${parts[i++ % parts.length]}` : m.startsWith(":site") && i % 2 === 0 ? (i++, "demo") : parts[i++ % parts.length]!));
  }

  it("answers 1,500 hostile calls: never a 5xx, JSON errors name a field", async () => {
    expect(routes.length).toBeGreaterThan(15);
    const statuses: Record<number, number> = {};
    const call = fc.record({
      route: fc.constantFrom(...routes),
      parts: fc.array(urlPart, { minLength: 1, maxLength: 3 }),
      query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), urlPart), { maxLength: 4 }),
      auth: fc.oneof({ weight: 6, arbitrary: fc.constant(ADMIN.authorization) }, { weight: 1, arbitrary: edgeString.map((s) => `Bearer ${encodeAny(s)}`) }),
      body: fc.option(hostileValue.map((v) => JSON.stringify(v) ?? "null")),
    });
    await fc.assert(
      fc.asyncProperty(call, async ({ route, parts, query, auth, body }) => {
        const qs = query.map(([k, v]) => `${k}=${v}`).join("&");
        const url = `https://collector.test${concrete(route.path, parts)}${qs ? `?${qs}` : ""}`;
        const init: RequestInit = { method: route.method, headers: { authorization: auth, "content-type": "application/json" } };
        if (route.method === "POST" && body !== null) init.body = body;
        const res = await exports.default.fetch(new Request(url, init));
        await expectSound(res, `${route.method} ${url}`);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }),
      { numRuns: 1500 },
    );
    console.log(`fuzz routes: 1500 calls over ${routes.length} routes -> ${JSON.stringify(statuses)}`);
    expect(Object.keys(statuses).length).toBeGreaterThan(2);
  }, 300_000);
});
