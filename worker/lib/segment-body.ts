/**
 * Reading a Segment-compatible request body: plain or `Content-Encoding: gzip` (RudderStack's
 * Node client compresses by default), with a hard limit on the decoded bytes. Segment answers
 * 400 to an oversized request, and its clients do not retry a 400, so this does too.
 */
import { readStreamText } from "./body";

export type SegmentBody = { ok: true; text: string } | { ok: false; error: string; reason: "too_large" | "unsupported_media_type" | "bad_request" };

export async function readSegmentBody(req: Request, maxBytes: number): Promise<SegmentBody> {
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") return { ok: false, error: `unsupported content-encoding ${encoding.slice(0, 40)}: send gzip or none`, reason: "unsupported_media_type" };
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return { ok: false, error: `request is ${declared} bytes; the limit is ${maxBytes}`, reason: "too_large" };
  if (!req.body) return { ok: false, error: "empty body", reason: "bad_request" };
  const stream = encoding === "gzip" ? req.body.pipeThrough(new DecompressionStream("gzip")) : req.body;
  const r = await readStreamText(stream, maxBytes);
  if (r.ok) return r;
  const what = encoding === "gzip" ? "decompressed request" : "request";
  const error = { over: `${what} is over the limit of ${maxBytes} bytes`, empty: "empty body", utf8: "body is not valid UTF-8", read: encoding === "gzip" ? "body is not valid gzip" : "body could not be read" }[r.reason];
  return { ok: false, error, reason: r.reason === "over" ? "too_large" : "bad_request" };
}
