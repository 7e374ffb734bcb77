/** What a user object holds on disk (durable-objects/state-row.ts and its side tables), for tests. */
import { runInDurableObject } from "cloudflare:test";
import type { StoredRecord } from "../schemas";
import type { StateDoc } from "../durable-objects/state-row";

export interface OnDisk {
  /** The state row, or null before the object's first write. */
  doc: StateDoc | null;
  tables: string[];
  /** Every remembered event id: in the row and in overflow rows. */
  seen: string[];
  /** Records waiting for the queue: chunks in the row and spilled rows, by chunk id. */
  chunks: { id: string; records: StoredRecord[] }[];
  tombstones: string[];
}

export function onDisk(stub: DurableObjectStub): Promise<OnDisk> {
  return runInDurableObject(stub, (_i, state: DurableObjectState) => {
    const sql = state.storage.sql;
    const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'").toArray().map((r) => r.name);
    const row = tables.includes("state") ? sql.exec<{ v: string }>("SELECT v FROM state WHERE k = 1").toArray()[0] : undefined;
    const doc = row ? (JSON.parse(row.v) as StateDoc) : null;
    const seen = (doc?.seen ?? []).flatMap(([, ids]) => ids);
    if (tables.includes("seen_log")) for (const r of sql.exec<{ ids: string }>("SELECT ids FROM seen_log")) seen.push(...(JSON.parse(r.ids) as string[]));
    const chunks: OnDisk["chunks"] = [];
    if (tables.includes("buffer")) for (const r of sql.exec<{ chunk: string; rec: string }>("SELECT chunk, rec FROM buffer ORDER BY seq")) chunks.push({ id: r.chunk, records: JSON.parse(r.rec) as StoredRecord[] });
    for (const c of doc?.outbox ?? []) chunks.push({ id: c.id, records: c.records });
    const tombstones = tables.includes("tombstone") ? sql.exec<{ h: string }>("SELECT h FROM tombstone").toArray().map((r) => r.h) : [];
    return { doc, tables, seen, chunks, tombstones };
  });
}
