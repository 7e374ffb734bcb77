/** Lake encoding: NDJSON lines, gzip in and out (the keys are in durable-objects/lib/lake-keys.ts). */

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
