import { describe, expect, it } from "vitest";
import { worstLags } from "./consumer";

const msg = (kind: string | undefined, timestamp: number) => ({ id: "m", timestamp: new Date(timestamp), attempts: 1, body: { v: 1, kind, chunk: "c", site: "s", records: [] } }) as unknown as Message<unknown>;

describe("worstLags (consumer batch log line)", () => {
  it("reports the oldest event's lake lag and the slowest chunk's flush lag, ignoring rejected rows", () => {
    const written = new Map<string, any[]>([
      ["a", [{ received_at: "2026-11-30T10:00:00.000Z" }, { received_at: "2026-11-30T10:00:01.000Z" }]],
      ["b", [{ received_at: "2026-11-30T10:00:03.000Z" }]],
      ["r", [{ received_at: "2026-11-30T09:00:00.000Z" }]],
    ]);
    const messagesOf = new Map([["a", [msg(undefined, Date.parse("2026-11-30T10:00:02.000Z"))]], ["b", [msg("events", Date.parse("2026-11-30T10:00:08.000Z"))]], ["r", [msg("rejected", Date.parse("2026-11-30T10:00:00.000Z"))]]]);
    expect(worstLags(written, messagesOf, Date.parse("2026-11-30T10:00:10.000Z"))).toEqual({ lake_lag_max_ms: 10_000, flush_lag_max_ms: 5_000 });
    expect(worstLags(new Map(), new Map(), 0)).toEqual({});
  });
});
