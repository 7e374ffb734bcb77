/** Test subscribers for GET /v1/profiles/:site/:id/stream: a WebSocket and an SSE reader, each recording frames with arrival times. */
import { exports } from "cloudflare:workers";
import { ADMIN } from "./helpers";

export interface Received {
  at: number;
  frame: { type: string; seq: number; events: { id: string; type: string }[]; profile: any };
}

export interface Subscriber {
  frames: Received[];
  /** Resolves with the first frame (already received or not) that satisfies `pred`. */
  waitFor(pred: (f: Received["frame"]) => boolean, ms?: number): Promise<Received>;
  closed: Promise<void>;
  close(): void;
}

function recorder(): { frames: Received[]; push(f: Received["frame"]): void; waitFor: Subscriber["waitFor"] } {
  const frames: Received[] = [];
  const waiters = new Set<{ pred: (f: Received["frame"]) => boolean; resolve: (r: Received) => void }>();
  return {
    frames,
    push(frame) {
      const r = { at: Date.now(), frame };
      frames.push(r);
      for (const w of waiters) if (w.pred(frame)) (waiters.delete(w), w.resolve(r));
    },
    waitFor(pred, ms = 5000) {
      const hit = frames.find((r) => pred(r.frame));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        waiters.add(w);
        setTimeout(() => waiters.has(w) && (waiters.delete(w), reject(new Error(`no matching frame within ${ms} ms`))), ms);
      });
    },
  };
}

export async function openWebSocket(path: string, headers: Record<string, string> = ADMIN): Promise<Subscriber & { status: number; send(text: string): void }> {
  const res = await exports.default.fetch(new Request(`https://collector.test${path}`, { headers: { ...headers, Upgrade: "websocket" } }));
  const rec = recorder();
  const ws = res.webSocket;
  if (!ws) return { ...rec, status: res.status, closed: Promise.resolve(), close() {}, send() {} };
  ws.accept();
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  ws.addEventListener("message", (e) => rec.push(JSON.parse(e.data as string)));
  ws.addEventListener("close", () => closedResolve());
  return { ...rec, status: res.status, closed, close: () => ws.close(1000, "done"), send: (t) => ws.send(t) };
}

export async function openSse(path: string, headers: Record<string, string> = ADMIN): Promise<Subscriber & { status: number; contentType: string | null }> {
  const res = await exports.default.fetch(new Request(`https://collector.test${path}`, { headers }));
  const rec = recorder();
  if (!res.body || res.status !== 200) return { ...rec, status: res.status, contentType: res.headers.get("content-type"), closed: Promise.resolve(), close() {} };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const closed = (async () => {
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += value;
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (data) rec.push(JSON.parse(data));
      }
    }
  })();
  return { ...rec, status: res.status, contentType: res.headers.get("content-type"), closed, close: () => void reader.cancel().catch(() => {}) };
}
