/**
 * The collector keeps what it stored across a stop and a crash of its process: `wrangler dev`
 * stopped (SIGTERM) or killed (SIGKILL, workerd too) and started again on the same state
 * directory serves the same profiles and the same lake. Also checks the starter's kill() and
 * restart(), which crash tests build on.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../test/eventually";
import { startCollector, type Collector } from "./support/collector";

let col: Collector;
beforeAll(async () => {
  col = await startCollector();
});
afterAll(async () => col?.stop());

async function beacon(anon: string, id: string) {
  const now = new Date().toISOString();
  const res = await fetch(`${col.url}/v1/collect`, {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: JSON.stringify({ site: "demo", anonymous_id: anon, sent_at: now, events: [{ id, type: "search", ts: now, props: { query: "restart" } }] }),
  });
  expect(res.status).toBe(202);
}

const inLake = async (id: string) => (await col.lakeRecords("events/site=demo/")).filter((r) => r.id === id);

describe("collector restarts on the same state", () => {
  it("keeps profiles and lake objects across a SIGTERM stop and a SIGKILL crash", async () => {
    const anon = `restart-${randomUUID()}`;
    const first = randomUUID();
    await beacon(anon, first);
    await eventually(async () => (await inLake(first)).length === 1, { what: "the first event in the lake", ms: 30_000, every: 250 });

    await col.restart();
    expect((await col.profile("demo", anon))?.counts.search).toBe(1);
    expect(await inLake(first)).toHaveLength(1);

    const second = randomUUID();
    await beacon(anon, second);
    await eventually(async () => (await inLake(second)).length === 1, { what: "the second event in the lake", ms: 30_000, every: 250 });
    await col.kill("SIGKILL");
    await expect(fetch(`${col.url}/`)).rejects.toThrow();
    await col.restart();
    expect((await col.profile("demo", anon))?.counts.search).toBe(2);
    // Dedup state survived too: the same id again is a duplicate, not a new event.
    const again = await fetch(`${col.url}/v1/collect`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ site: "demo", anonymous_id: anon, sent_at: new Date().toISOString(), events: [{ id: second, type: "search", ts: new Date().toISOString(), props: { query: "restart" } }] }),
    });
    expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 1 });
    expect((await col.profile("demo", anon))?.counts.search).toBe(2);
  });
});
