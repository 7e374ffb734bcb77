import { afterEach, describe, expect, it, vi } from "vitest";
import { log, logFields } from "./log";

afterEach(() => vi.restoreAllMocks());

describe("structured log", () => {
  it("writes one JSON line with the message and fields", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    log("flush", { site: "demo", sent: 3, skip: undefined });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(JSON.parse(spy.mock.calls[0]![0] as string)).toEqual({ msg: "flush", site: "demo", sent: 3 });
  });

  it("drops fields that could carry secrets, addresses or payloads, and cuts long strings", () => {
    const out = logFields("x", { ip: "203.0.113.9", client_ip: "1", authorization: "Bearer s", admin_token: "t", site_secrets: "{}", headers: {}, props: {}, raw: "{}", url: "https://a/?t=1", body: "b", status: 200, error: "e".repeat(1000) });
    expect(Object.keys(out).sort()).toEqual(["error", "msg", "status"]);
    expect((out.error as string).length).toBeLessThan(310);
  });
});
