/** Lake layout and encoding: events/site=<site>/dt=YYYY-MM-DD/hr=HH/<unique>.ndjson.gz */

export function partitionOf(site: string, receivedAt: string, base: "events" | "rejected" = "events"): string {
  // received_at is always our own ISO string: YYYY-MM-DDTHH:...Z
  return `${base}/site=${site}/dt=${receivedAt.slice(0, 10)}/hr=${receivedAt.slice(11, 13)}`;
}

export function toNdjson(records: readonly object[]): string {
  let out = "";
  for (const r of records) out += JSON.stringify(r) + "\n";
  return out;
}

export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export async function gunzip(body: ReadableStream<Uint8Array> | ArrayBuffer | Uint8Array): Promise<string> {
  const src = body instanceof ReadableStream ? body : new Blob([body as BufferSource]).stream();
  return new Response(src.pipeThrough(new DecompressionStream("gzip"))).text();
}

/** A name that is the same for the same set of chunks, so a redelivered batch overwrites itself. */
export async function objectName(chunkIds: readonly string[], firstReceivedAt: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode([...chunkIds].sort().join("\n")));
  const hex = [...new Uint8Array(digest).slice(0, 10)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const stamp = firstReceivedAt.replace(/[-:.]/g, "").slice(0, 15); // YYYYMMDDTHHMMSS
  return `${stamp}-${hex}.ndjson.gz`;
}
