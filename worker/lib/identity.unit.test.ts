import { describe, expect, it } from "vitest";
import { resolveIdentity, signUserId, verifyUserId } from "./identity";

const SECRET = "s3cret-identity-key-for-tests";

describe("user id signatures", () => {
  it("is HMAC-SHA256 in hex (RFC 4231 test case 2)", async () => {
    expect(await signUserId("Jefe", "what do ya want for nothing?")).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });
  it("verifies the right signature only", async () => {
    const sig = await signUserId(SECRET, "u-1");
    expect(await verifyUserId(SECRET, "u-1", sig)).toBe(true);
    expect(await verifyUserId(SECRET, "u-1", sig.toUpperCase())).toBe(true);
    expect(await verifyUserId(SECRET, "u-2", sig)).toBe(false);
    expect(await verifyUserId("another-secret-key-xx", "u-1", sig)).toBe(false);
    expect(await verifyUserId(SECRET, "u-1", "zz")).toBe(false);
  });
});

describe("resolveIdentity", () => {
  const required = { required: true, secret: SECRET };
  const optional = { required: false, secret: SECRET };
  it("no user id: none", async () => {
    expect(await resolveIdentity({ user_id: null, user_id_sig: null }, required)).toEqual({ user_id: null, identity: "none" });
  });
  it("signed and right: verified, whether required or not", async () => {
    const sig = await signUserId(SECRET, "u-1");
    expect(await resolveIdentity({ user_id: "u-1", user_id_sig: sig }, required)).toEqual({ user_id: "u-1", identity: "verified" });
    expect(await resolveIdentity({ user_id: "u-1", user_id_sig: sig }, optional)).toEqual({ user_id: "u-1", identity: "verified" });
  });
  it("wrongly signed: never trusted", async () => {
    const sig = await signUserId(SECRET, "u-2");
    expect(await resolveIdentity({ user_id: "u-1", user_id_sig: sig }, required)).toEqual({ user_id: null, identity: "unverified" });
    expect(await resolveIdentity({ user_id: "u-1", user_id_sig: sig }, optional)).toEqual({ user_id: null, identity: "unverified" });
  });
  it("unsigned: dropped when required, asserted otherwise", async () => {
    expect(await resolveIdentity({ user_id: "u-1", user_id_sig: null }, required)).toEqual({ user_id: null, identity: "unverified" });
    expect(await resolveIdentity({ user_id: "u-1", user_id_sig: null }, optional)).toEqual({ user_id: "u-1", identity: "asserted" });
    // Required but the site has no secret: nothing can be verified, so nothing is trusted.
    expect(await resolveIdentity({ user_id: "u-1", user_id_sig: "a".repeat(64) }, { required: true, secret: null })).toEqual({ user_id: null, identity: "unverified" });
  });
});
