/**
 * Every key the collector writes in the lake (R2), in one place:
 *   events/site=<site>/dt=YYYY-MM-DD/hr=HH/<stamp>-<hash>.ndjson.gz     stored records
 *   rejected/site=<site>/dt=YYYY-MM-DD/hr=HH/<stamp>-<hash>.ndjson.gz   refused rows
 *   deadletter/queue=<queue>/dt=YYYY-MM-DD/hr=HH/<stamp>-<hash>.ndjson.gz
 *   deletions/site=<site>/dt=YYYY-MM-DD/<id>-<YYYYMMDDTHHMMSSmmm>.json  erasure requests
 */
import { sha256Hex } from "./hash";

/** The partition prefix of a record, by its received_at (always our own ISO string). */
export function partitionOf(site: string, receivedAt: string, base: "events" | "rejected" = "events"): string {
  return `${base}/site=${site}/dt=${receivedAt.slice(0, 10)}/hr=${receivedAt.slice(11, 13)}`;
}

/** A name that is the same for the same set of chunks, so a redelivered batch overwrites itself. */
export async function objectName(chunkIds: readonly string[], firstReceivedAt: string): Promise<string> {
  const hash = await sha256Hex([...chunkIds].sort().join("\n"), 20);
  const stamp = firstReceivedAt.replace(/[-:.]/g, "").slice(0, 15); // YYYYMMDDTHHMMSS
  return `${stamp}-${hash}.ndjson.gz`;
}

export function deadLetterKey(queue: string, firstIso: string, name: string): string {
  return `deadletter/queue=${queue}/dt=${firstIso.slice(0, 10)}/hr=${firstIso.slice(11, 13)}/${name}`;
}

/** The id is URI-encoded; the stamp keeps every request of the same person apart. */
export function erasureKey(site: string, id: string, requestedAt: string): string {
  const stamp = requestedAt.replace(/[-:.Z]/g, "");
  return `deletions/site=${site}/dt=${requestedAt.slice(0, 10)}/${encodeURIComponent(id)}-${stamp}.json`;
}
