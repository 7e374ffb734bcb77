/**
 * Live subscribers of one user's profile: WebSockets through the Hibernation API (the object
 * may sleep while they stay connected; `ctx.getWebSockets()` finds them again) and Server-Sent
 * Events (a held-open streaming response; these keep the object in memory while connected).
 * Every frame is the same JSON text: {"type":"profile","seq","at","events":[{id,type,ts}],"profile"}.
 */

const enc = new TextEncoder();
/** A subscriber that has this many bytes unread is too slow: it is dropped, not waited for. */
const MAX_SSE_BACKLOG = 1 << 20;
const SSE_KEEPALIVE_MS = 20_000;

export interface Frame {
  type: "profile" | "erased" | "merged";
  seq: number;
  at: string;
  events: { id: string; type: string; ts: string }[];
  profile: unknown;
}

export class Subscribers {
  private readonly sse = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private keepalive: ReturnType<typeof setInterval> | null = null;
  private seq = 0;

  constructor(private readonly ctx: DurableObjectState) {}

  get count(): number {
    return this.sse.size + this.ctx.getWebSockets().length;
  }

  /** 101 Switching Protocols; the object accepts the socket so it can hibernate. */
  openWebSocket(first: Omit<Frame, "seq" | "at">): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    server.send(this.encode(first));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** text/event-stream held open; frames are `event: profile` with the JSON as data. */
  openSse(first: Omit<Frame, "seq" | "at">): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(undefined, undefined, { highWaterMark: MAX_SSE_BACKLOG, size: (c) => c?.byteLength ?? 0 });
    const writer = writable.getWriter();
    this.sse.add(writer);
    writer.closed.then(() => this.drop(writer), () => this.drop(writer));
    this.write(writer, `retry: 1000\n\n${sseFrame(first.type, this.encode(first))}`);
    this.startKeepalive();
    return new Response(readable, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  }

  /** Sends one frame to every subscriber; closed or slow ones are dropped. */
  publish(frame: Omit<Frame, "seq" | "at">): number {
    const text = this.encode(frame);
    let n = 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
        n++;
      } catch {
        // Closed between the list and the send: the runtime forgets it.
      }
    }
    const sse = sseFrame(frame.type, text);
    for (const w of this.sse) if (this.write(w, sse)) n++;
    return n;
  }

  /** After erasure or a merge: tell everyone, then hang up. */
  closeAll(reason: string, last: Omit<Frame, "seq" | "at">): void {
    if (this.count === 0) return;
    this.publish(last);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.close(1000, reason);
      } catch {}
    }
    for (const w of this.sse) {
      w.close().catch(() => {});
      this.drop(w);
    }
  }

  private encode(f: Omit<Frame, "seq" | "at">): string {
    return JSON.stringify({ type: f.type, seq: ++this.seq, at: new Date().toISOString(), events: f.events, profile: f.profile });
  }

  private write(w: WritableStreamDefaultWriter<Uint8Array>, text: string): boolean {
    if (w.desiredSize === null || w.desiredSize <= 0) {
      // Errored, closed or too far behind.
      w.abort("subscriber too slow").catch(() => {});
      this.drop(w);
      return false;
    }
    w.write(enc.encode(text)).catch(() => this.drop(w));
    return true;
  }

  private drop(w: WritableStreamDefaultWriter<Uint8Array>): void {
    this.sse.delete(w);
    if (this.sse.size === 0 && this.keepalive !== null) {
      clearInterval(this.keepalive);
      this.keepalive = null;
    }
  }

  private startKeepalive(): void {
    if (this.keepalive !== null) return;
    this.keepalive = setInterval(() => {
      for (const w of this.sse) this.write(w, ": keepalive\n\n");
    }, SSE_KEEPALIVE_MS);
  }
}

function sseFrame(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}
