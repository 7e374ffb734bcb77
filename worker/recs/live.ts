/**
 * The live recommendations of one person as Server-Sent Events (GET
 * /v1/recommendations/:site/:id/stream): a `recommendations` frame with the same body as GET
 * first, then again whenever the list changes.
 *
 * The worker holds both ends: the SSE response to the browser, and a WebSocket to the person's
 * object, which that object accepted through the Hibernation API (durable-objects/subscribers.ts):
 * while the person does nothing, the object may be evicted from memory and the socket stays up
 * (its "ping" is answered by the runtime without waking it). Each profile frame the object
 * pushes (one per accepted beacon) makes the worker recompute the list; recomputations that
 * pile up are coalesced (at most one runs, at most one waits), and a frame is written only when
 * the list (its strategy and product ids, in order) changed. After a merge on login the object
 * of the anonymous id says "merged" and hangs up: the worker opens the stream again through the
 * same id, which now leads to the user's object, so the stream follows the user. Any other
 * hang-up (erasure, a deploy) ends the SSE response; EventSource reconnects after `retry`.
 */

const enc = new TextEncoder();

export const KEEPALIVE_MS = 25_000;
export const RETRY_MS = 1000;

export interface RecList {
  strategy: string;
  items: { product_id: string }[];
}

export interface LiveSource<T extends RecList> {
  /** A WebSocket to the person's object (its profile frames), not yet accepted. */
  open(): Promise<WebSocket>;
  /** The list now: the body of GET /v1/recommendations/:site/:id for these options. */
  compute(): Promise<T>;
  /** Failures are reported here (counts and names only); the stream then ends. */
  onError?(what: string, err: unknown): void;
}

/** What makes a list "changed": its strategy and its product ids, in order (scores drift with time decay). */
export const listKey = (l: RecList): string => JSON.stringify([l.strategy, l.items.map((i) => i.product_id)]);

export const sseFrame = (event: string, data: string): string => `event: ${event}\ndata: ${data}\n\n`;

/** The type of a frame from the person's object ({"type":"profile"|"merged"|"erased",...}). */
export function frameType(data: unknown): string {
  try {
    const t = (JSON.parse(String(data)) as { type?: unknown }).type;
    return typeof t === "string" ? t : "";
  } catch {
    return "";
  }
}

/**
 * Runs `task` now, or once more after the running one when called meanwhile: however many
 * calls arrive during a run, one more run follows it.
 */
export function coalesced(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = async (): Promise<void> => {
    do {
      again = false;
      await task();
    } while (again);
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = run().finally(() => (running = null));
    return running;
  };
}

/** The SSE body; the caller answers 200 with SSE_HEADERS. */
export interface LiveOptions<T> {
  keepaliveMs?: number;
  retryMs?: number;
  /** The browser went away (where the runtime tells): let go of the object at once. */
  signal?: AbortSignal;
  /** The list already computed by the route (for its access check): the first frame. */
  first?: T;
}

export function liveStream<T extends RecList>(src: LiveSource<T>, opts: LiveOptions<T> = {}): ReadableStream<Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const out = writable.getWriter();
  let last = "";
  let ws: WebSocket | null = null;
  let ended = false;

  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(keepalive);
    const s = ws;
    ws = null;
    try {
      s?.close(1000, "stream ended");
    } catch {}
    out.close().catch(() => {});
  };
  // A write that fails means the browser went away.
  const write = (text: string): Promise<void> => (ended ? Promise.resolve() : out.write(enc.encode(text)).catch(end));

  const refresh = coalesced(async () => {
    if (ended) return;
    try {
      const list = await src.compute();
      const key = listKey(list);
      if (key === last) return;
      last = key;
      await write(sseFrame("recommendations", JSON.stringify(list)));
    } catch (e) {
      src.onError?.("compute", e);
      end();
    }
  });

  const subscribe = async (): Promise<void> => {
    let s: WebSocket;
    try {
      s = await src.open();
      s.accept();
    } catch (e) {
      src.onError?.("subscribe", e);
      return end();
    }
    if (ended) return void s.close(1000, "stream ended");
    ws = s;
    s.addEventListener("message", (m) => {
      if (ws !== s) return;
      const type = frameType(m.data);
      if (type === "merged") {
        // The anonymous id now belongs to a user: the same id leads to the user's object.
        ws = null;
        void subscribe();
      } else if (type === "erased") end();
      // "pong" (the runtime's answer to our keepalive ping) and anything else: nothing to do.
      else if (type === "profile") void refresh();
    });
    s.addEventListener("close", () => ws === s && end());
    s.addEventListener("error", () => ws === s && end());
    // The object's first frame is its current profile, which refreshes the list; this one
    // also covers an object that has nothing to say yet.
    void refresh();
  };

  const keepalive = setInterval(() => {
    void write(": keepalive\n\n");
    try {
      // Answered by the runtime (setWebSocketAutoResponse): the object stays asleep.
      ws?.send("ping");
    } catch {}
  }, opts.keepaliveMs ?? KEEPALIVE_MS);

  opts.signal?.addEventListener("abort", end);
  void write(`retry: ${opts.retryMs ?? RETRY_MS}\n\n`);
  if (opts.first) {
    last = listKey(opts.first);
    void write(sseFrame("recommendations", JSON.stringify(opts.first)));
  }
  void subscribe();
  return readable;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-store",
  "x-accel-buffering": "no",
} as const;
