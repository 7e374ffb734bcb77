/** Reading a request body with a hard byte limit, before any parsing. */

export type BodyResult =
  | { ok: true; text: string }
  | { ok: false; status: 413 | 400 | 415; error: string };

const JSONISH = /^(text\/plain|application\/json|application\/[a-z0-9.+-]*\+json)\b/i;

/** Refuses by Content-Length when it is sent, and counts bytes while streaming when it is not. */
export async function readLimitedText(req: Request, maxBytes: number): Promise<BodyResult> {
  const type = req.headers.get("content-type");
  if (type && !JSONISH.test(type.trim())) {
    return { ok: false, status: 415, error: `unsupported content-type ${type.slice(0, 80)}: send JSON as text/plain or application/json` };
  }
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    return { ok: false, status: 413, error: `body is ${declared} bytes; the limit is ${maxBytes}` };
  }
  if (!req.body) return { ok: false, status: 400, error: "empty body" };
  const r = await readStreamText(req.body, maxBytes);
  if (r.ok) return r;
  if (r.reason === "over") return { ok: false, status: 413, error: `body is over the limit of ${maxBytes} bytes` };
  return { ok: false, status: 400, error: r.reason === "empty" ? "empty body" : r.reason === "utf8" ? "body is not valid UTF-8" : "body could not be read" };
}

export type StreamText = { ok: true; text: string } | { ok: false; reason: "over" | "empty" | "utf8" | "read" };

/** A byte stream as UTF-8 text, stopping (and cancelling) as soon as it passes maxBytes. */
export async function readStreamText(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<StreamText> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return { ok: false, reason: "over" };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: "read" };
  }
  if (size === 0) return { ok: false, reason: "empty" };
  const buf = chunks.length === 1 ? chunks[0]! : new Uint8Array(size);
  if (chunks.length > 1) {
    let off = 0;
    for (const c of chunks) {
      buf.set(c, off);
      off += c.byteLength;
    }
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(buf) };
  } catch {
    return { ok: false, reason: "utf8" };
  }
}

/** JSON.parse that keeps `__proto__` as a plain key and reports a clean error. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `body is not JSON: ${(e as Error).message.slice(0, 120)}` };
  }
}
