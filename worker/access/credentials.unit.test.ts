import { describe, expect, it } from "vitest";
import { buildCredentialTable, lookup, presentedKey, type CredentialSource } from "./credentials";

const SRC: CredentialSource = {
  admin_token: "admin-token-123",
  sites: [
    { site: "a", read_keys: ["a-read-1", "a-read-2"], server_keys: ["a-server-1"], browser_key: "a-browser" },
    { site: "b", read_keys: ["b-read-1"] },
    { site: "c" },
  ],
};

describe("credential table", () => {
  it("names the kind and site of every configured key, and nothing for others", async () => {
    const t = await buildCredentialTable(SRC);
    expect(await lookup(t, "admin-token-123")).toEqual({ kind: "admin", site: null });
    expect(await lookup(t, "a-read-1")).toEqual({ kind: "read", site: "a" });
    expect(await lookup(t, "a-read-2")).toEqual({ kind: "read", site: "a" });
    expect(await lookup(t, "b-read-1")).toEqual({ kind: "read", site: "b" });
    expect(await lookup(t, "a-server-1")).toEqual({ kind: "server", site: "a" });
    expect(await lookup(t, "a-browser")).toEqual({ kind: "browser", site: "a" });
    for (const k of ["", "a-read-", "a-read-1 ", "A-READ-1", "admin-token-1234"]) expect(await lookup(t, k), k).toBeNull();
  });

  it("keeps only digests, never the keys", async () => {
    const t = await buildCredentialTable(SRC);
    const text = JSON.stringify(t.entries.map((e) => ({ ...e, digest: [...new Uint8Array(e.digest)] })));
    for (const k of ["admin-token-123", "a-read-1", "a-server-1", "a-browser"]) expect(text).not.toContain(k);
  });

  it("without ADMIN_TOKEN, no key is the admin's", async () => {
    const t = await buildCredentialTable({ sites: SRC.sites });
    expect(await lookup(t, "admin-token-123")).toBeNull();
    expect(await lookup(t, "")).toBeNull();
  });

  it("refuses a key configured twice, naming where but not the key", async () => {
    const twice = (sites: CredentialSource["sites"], admin_token?: string) => buildCredentialTable({ admin_token, sites });
    await expect(twice([{ site: "a", read_keys: ["same-key-1"], server_keys: ["same-key-1"] }])).rejects.toThrow("a (read) and a (server)");
    await expect(twice([{ site: "a", read_keys: ["same-key-1"] }, { site: "b", read_keys: ["same-key-1"] }])).rejects.toThrow("a (read) and b (read)");
    await expect(twice([{ site: "a", browser_key: "same-key-1" }], "same-key-1")).rejects.toThrow("ADMIN_TOKEN and a (browser)");
    await expect(twice([{ site: "a", read_keys: ["same-key-1", "same-key-1"] }])).rejects.not.toThrow("same-key-1");
  });
});

describe("the key a request presents", () => {
  it("reads Bearer, and HTTP Basic with the key as user name", () => {
    expect(presentedKey("Bearer abc-123")).toEqual({ key: "abc-123" });
    expect(presentedKey("bearer   abc-123  ")).toEqual({ key: "abc-123" });
    expect(presentedKey(`Basic ${btoa("key-1:")}`)).toEqual({ key: "key-1" });
    expect(presentedKey(`Basic ${btoa("key-1")}`)).toEqual({ key: "key-1" });
  });
  it("is null without Authorization, an error for anything else", () => {
    for (const h of [undefined, null, "", "  "]) expect(presentedKey(h)).toBeNull();
    for (const h of ["abc-123", "Token abc", "Bearer", "Bearer   ", "Basic !!!", `Basic ${btoa(":pw")}`]) expect(presentedKey(h), h).toHaveProperty("error");
  });
});
