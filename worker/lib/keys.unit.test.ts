import { describe, expect, it } from "vitest";
import { buildKeyTable, matchKey, writeKeyOf } from "./keys";

describe("write keys", () => {
  it("finds the site and kind of a key, and nothing for others", async () => {
    const t = await buildKeyTable([{ site: "a", browser_key: "a-browser", server_keys: ["a-server-1", "a-server-2"] }, { site: "b", server_keys: ["b-server"] }, { site: "c" }]);
    expect(await matchKey(t, "a-browser")).toEqual({ site: "a", kind: "browser" });
    expect(await matchKey(t, "a-server-2")).toEqual({ site: "a", kind: "server" });
    expect(await matchKey(t, "b-server")).toEqual({ site: "b", kind: "server" });
    expect(await matchKey(t, "a-browse")).toBeNull();
    expect(await matchKey(t, "")).toBeNull();
  });
  it("refuses a key configured twice", async () => {
    await expect(buildKeyTable([{ site: "a", browser_key: "k-1234567" }, { site: "b", server_keys: ["k-1234567"] }])).rejects.toThrow(/a \(browser\) and b \(server\)/);
  });
  it("reads HTTP Basic (key as user name), else the body's writeKey", () => {
    expect(writeKeyOf(`Basic ${btoa("key-1:")}`, undefined)).toEqual({ key: "key-1", from: "authorization" });
    expect(writeKeyOf(`Basic ${btoa("key-1")}`, "other")).toEqual({ key: "key-1", from: "authorization" });
    expect(writeKeyOf(undefined, "key-2")).toEqual({ key: "key-2", from: "writeKey" });
    expect(writeKeyOf("Bearer x", undefined)).toHaveProperty("error");
    expect(writeKeyOf(`Basic ${btoa(":pw")}`, undefined)).toHaveProperty("error");
    expect(writeKeyOf("Basic !!!", undefined)).toHaveProperty("error");
    expect(writeKeyOf(undefined, undefined)).toHaveProperty("error");
  });
});
