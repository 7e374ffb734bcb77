/**
 * Freshness, measured from outside like a recommendation service would see it:
 * - event -> profile (read back): POST a beacon, then GET /v1/profiles/:site/:id until the
 *   profile shows it; time from the POST's start to that answer.
 * - event -> profile (pushed): the same through GET /v1/profiles/:site/:id/stream (SSE) when the
 *   collector has that route; "not available" when it answers 404.
 * - event -> lake: POST single events, poll R2 for the objects that hold them; time from the
 *   POST's start to the object's upload time, with the default flush settings.
 */
import { gunzipSync } from "node:zlib";
import { beacon, BENCH_UA } from "./bodies";
import { summary } from "./stats";

const post = (url: string, body: unknown) =>
  fetch(`${url}/v1/collect`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": BENCH_UA }, body: JSON.stringify(body) });

/** A one-event beacon whose product id marks it in the profile. */
function marked(site: string, user: string, mark: string) {
  const b = beacon({ site, user, events: 1, prefix: mark });
  (b.events as Record<string, unknown>[])[0] = { id: `${mark}-0`, type: "product_view", ts: new Date().toISOString(), props: { product_id: mark, category: "shoes" } };
  return b;
}

async function expectAccepted(res: Response): Promise<void> {
  const text = await res.text();
  if (res.status !== 202) throw new Error(`collect answered ${res.status}: ${text.slice(0, 200)}`);
}

export async function readBack(url: string, token: string, site: string, samples: number, runId: string) {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const user = `rb-${runId}-${i}`;
    const mark = `rb-${runId}-${i}`;
    const t0 = performance.now();
    await expectAccepted(await post(url, marked(site, user, mark)));
    for (let tries = 0; ; tries++) {
      const res = await fetch(`${url}/v1/profiles/${site}/${user}`, { headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      if (res.ok && text.includes(mark)) break;
      if (tries > 500) throw new Error(`profile of ${user} never showed ${mark} (${res.status})`);
    }
    ms.push(performance.now() - t0);
  }
  return summary(ms);
}

export type Pushed = ({ available: true } & ReturnType<typeof summary>) | { available: false; reason: string };

export async function pushed(url: string, token: string, site: string, samples: number, runId: string): Promise<Pushed> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const user = `push-${runId}-${i}`;
    const mark = `push-${runId}-${i}`;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 10_000);
    try {
      const res = await fetch(`${url}/v1/profiles/${site}/${user}/stream`, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" }, signal: ac.signal });
      if (res.status === 404 && i === 0) {
        await res.body?.cancel();
        return { available: false, reason: "GET /v1/profiles/:site/:id/stream answers 404 in this build" };
      }
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const t0 = performance.now();
      await expectAccepted(await post(url, marked(site, user, mark)));
      let seen = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`stream of ${user} ended before it showed ${mark}`);
        seen += value;
        if (seen.includes(mark)) break;
        if (seen.length > 1_000_000) seen = seen.slice(-100_000);
      }
      ms.push(performance.now() - t0);
      await reader.cancel().catch(() => {});
    } finally {
      clearTimeout(timer);
      ac.abort();
    }
  }
  return { available: true, ...summary(ms) };
}

/** Minimal R2 surface (Miniflare's getR2Bucket). */
export interface LakeBucket {
  list(o: { prefix: string; cursor?: string; limit?: number }): Promise<{ objects: { key: string; uploaded: Date }[]; truncated: boolean; cursor?: string }>;
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
}

export async function toLake(url: string, lake: LakeBucket, site: string, samples: number, spacingMs: number, runId: string, timeoutMs = 60_000) {
  const sentAt = new Map<string, number>();
  const send = (async () => {
    for (let i = 0; i < samples; i++) {
      const mark = `lk-${runId}-${i}`;
      const t0 = Date.now();
      await expectAccepted(await post(url, marked(site, `lk-${runId}-${i}`, mark)));
      sentAt.set(`${mark}-0`, t0);
      await new Promise((r) => setTimeout(r, spacingMs));
    }
  })();
  const landed = new Map<string, number>();
  const read = new Set<string>();
  const end = Date.now() + timeoutMs + samples * spacingMs;
  while (landed.size < samples) {
    if (Date.now() > end) throw new Error(`only ${landed.size} of ${samples} events reached the lake within ${timeoutMs} ms`);
    let cursor: string | undefined;
    do {
      const page = await lake.list({ prefix: `events/site=${site}/`, cursor, limit: 1000 });
      for (const o of page.objects) {
        if (read.has(o.key)) continue;
        read.add(o.key);
        const obj = await lake.get(o.key);
        if (!obj) continue;
        const text = gunzipSync(new Uint8Array(await obj.arrayBuffer())).toString("utf8");
        for (const line of text.split("\n")) if (line) landed.set((JSON.parse(line) as { id: string }).id, o.uploaded.getTime());
      }
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    await new Promise((r) => setTimeout(r, 100));
  }
  await send;
  const ms = [...sentAt].map(([id, t0]) => landed.get(id)! - t0);
  if (landed.size !== samples) throw new Error(`lake holds ${landed.size} events, sent ${samples}`);
  return summary(ms);
}
