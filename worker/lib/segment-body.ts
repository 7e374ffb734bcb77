/**
 * Reading a Segment-compatible request body: plain or `Content-Encoding: gzip` (RudderStack's
 * Node client compresses by default), with a hard limit on the decoded bytes. Segment answers
 * 400 to an oversized request, and its clients do not retry a 400, so this does too.
 */

export type SegmentBody = { ok: true; text: string } | { ok: false; error: string };

export async function readSegmentBody(req: Request, maxBytes: number): Promise<SegmentBody> {
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") return { ok: false, error: `unsupported content-encoding ${encoding.slice(0, 40)}: send gzip or none` };
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, error: `request is ${declared} bytes; the limit is ${maxBytes}` };
  if (!req.body) return { ok: false, error: "empty body" };
  const stream = encoding === "gzip" ? req.body.pipeThrough(new DecompressionStream("gzip")) : req.body;
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
        return { ok: false, error: `${encoding === "gzip" ? "decompressed request" : "request"} is over the limit of ${maxBytes} bytes` };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, error: encoding === "gzip" ? "body is not valid gzip" : "body could not be read" };
  }
  if (size === 0) return { ok: false, error: "empty body" };
  const buf = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    buf.set(c, off);
    off += c.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(buf) };
  } catch {
    return { ok: false, error: "body is not valid UTF-8" };
  }
}
