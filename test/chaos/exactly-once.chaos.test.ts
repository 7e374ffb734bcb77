/**
 * Chaos run: 50,000 events through the whole pipeline while queue sends fail, objects crash
 * between send and delete, R2 puts fail, consumers crash after writing, all Durable Objects
 * are aborted mid-flight, and clients retry and repeat beacons. Afterwards the lake must hold
 * every accepted event id exactly once.
 */
import { abortAllDurableObjects } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { gunzip } from "../../worker/lib/lake";
import { injected } from "./faults";

const EVENTS = 50_000;
const PER_BEACON = 10;
const USERS = 400;
const CONCURRENCY = 8;

function beacon(i: number) {
  const user = `chaos-user-${i % USERS}`;
  const now = new Date().toISOString();
  return {
    site: "chaos",
    anonymous_id: user,
    session_id: `s-${i % 7}`,
    sent_at: now,
    events: Array.from({ length: PER_BEACON }, (_, k) => ({ id: `c-${i}-${k}`, type: k % 3 ? "product_view" : "page_view", ts: now, props: k % 3 ? { product_id: `sku-${(i + k) % 50}`, category: `cat-${k % 4}` } : { path: `/p/${i}` } })),
  };
}

async function send(body: unknown): Promise<{ status: number; json?: any }> {
  try {
    const res = await exports.default.fetch(new Request("https://collector.test/v1/collect", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(body) }));
    return { status: res.status, json: res.status < 300 ? await res.json() : await res.text() };
  } catch {
    return { status: 0 };
  }
}

it(`keeps ${EVENTS} events exactly once through injected faults`, async () => {
  const started = Date.now();
  const beacons = EVENTS / PER_BEACON;
  const acceptedIds = new Set<string>();
  let retries = 0;
  let repeats = 0;
  let aborts = 0;
  let next = 0;

  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= beacons) return;
      const body = beacon(i);
      // A client retries with the same event ids until the collector answers 2xx.
      for (let attempt = 0; ; attempt++) {
        const r = await send(body);
        if (r.status === 202) break;
        retries++;
        if (attempt > 50) throw new Error(`beacon ${i} never accepted: ${r.status}`);
        await new Promise((res) => setTimeout(res, 5 * attempt));
      }
      for (const e of body.events) acceptedIds.add(e.id);
      // Some beacons are sent again (sendBeacon after a fetch that did arrive).
      if (i % 10 === 3) {
        repeats++;
        const again = await send(body);
        if (again.status === 202) expect(again.json.accepted).toBe(0);
      }
      if (i > 0 && i % 1000 === 0) {
        aborts++;
        await abortAllDurableObjects();
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const sentMs = Date.now() - started;

  // Read the lake until every accepted id is there; objects are immutable, so read each once.
  const seen = new Map<string, number>();
  const read = new Set<string>();
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    let cursor: string | undefined;
    do {
      const list = await env.LAKE.list({ prefix: "events/site=chaos/", cursor });
      for (const o of list.objects) {
        if (read.has(o.key)) continue;
        read.add(o.key);
        const text = await gunzip((await env.LAKE.get(o.key))!.body);
        for (const line of text.split("\n")) if (line) {
          const id = (JSON.parse(line) as { id: string }).id;
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
      }
      cursor = list.truncated ? list.cursor : undefined;
    } while (cursor);
    if ([...acceptedIds].every((id) => seen.has(id))) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  // Let late redeliveries land before judging duplicates.
  await new Promise((r) => setTimeout(r, 3000));
  let cursor: string | undefined;
  do {
    const list = await env.LAKE.list({ prefix: "events/site=chaos/", cursor });
    for (const o of list.objects) if (!read.has(o.key)) {
      read.add(o.key);
      for (const line of (await gunzip((await env.LAKE.get(o.key))!.body)).split("\n")) if (line) {
        const id = (JSON.parse(line) as { id: string }).id;
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    cursor = list.truncated ? list.cursor : undefined;
  } while (cursor);

  const missing = [...acceptedIds].filter((id) => !seen.has(id));
  const dupes = [...seen].filter(([, n]) => n > 1);
  const extra = [...seen.keys()].filter((id) => !acceptedIds.has(id));
  console.log(
    `chaos: ${acceptedIds.size} events accepted in ${beacons} beacons (${sentMs} ms), ${retries} client retries, ${repeats} repeated beacons, ${aborts} aborts of every Durable Object; ` +
      `faults injected in this isolate: ${JSON.stringify(injected)}; lake: ${read.size} objects, ${seen.size} distinct ids, ${missing.length} missing, ${dupes.length} duplicated, ${extra.length} unknown; total ${Date.now() - started} ms`,
  );
  expect(acceptedIds.size).toBe(EVENTS);
  expect(missing).toEqual([]);
  expect(dupes).toEqual([]);
  expect(extra).toEqual([]);
});
