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
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false, status: 413, error: `body is over the limit of ${maxBytes} bytes` };
    }
    chunks.push(value);
  }
  if (size === 0) return { ok: false, status: 400, error: "empty body" };
  const buf = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    buf.set(c, off);
    off += c.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(buf) };
  } catch {
    return { ok: false, status: 400, error: "body is not valid UTF-8" };
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
