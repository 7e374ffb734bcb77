/** What the browser SDKs send that the server clients do not: empty ids, numeric session ids, identity signatures, consent. */
import { describe, expect, it } from "vitest";
import { mapMessage, type MapOptions, type MappedMessage, type RejectedMessage } from "./segment";
import { redactSignatures, signatureOf, withoutSignature } from "./segment-identity";

const NOW = Date.parse("2026-11-26T12:00:00.000Z");
const browser: MapOptions = { site: "demo", kind: "browser", receivedMs: NOW, requestUserAgent: "UA" };
const server: MapOptions = { ...browser, kind: "server" };
const SIG = "ab".repeat(32);
const base = { messageId: "m-1", anonymousId: "a-1", timestamp: "2026-11-26T11:59:00.000Z", sentAt: "2026-11-26T12:00:00.000Z" };
const ok = async (raw: unknown, o: MapOptions = browser) => {
  const m = await mapMessage(raw, o);
  expect(m.ok, JSON.stringify((m as RejectedMessage).errors)).toBe(true);
  return m as MappedMessage;
};

describe("RudderStack's browser payloads", () => {
  it("an empty userId (before identify) is absent, not an invalid id", async () => {
    const m = await ok({ ...base, type: "track", event: "Product Viewed", userId: "", properties: { product_id: "p1" } });
    expect(m.envelope.user_id).toBeUndefined();
    expect(m.envelope.anonymous_id).toBe("a-1");
    // Without any id it is still refused, naming userId.
    const r = (await mapMessage({ ...base, type: "track", event: "E", userId: "", anonymousId: "" }, browser)) as RejectedMessage;
    expect(r.errors).toEqual([{ path: "userId", message: expect.any(String) }]);
  });

  it("a numeric context.sessionId is the session id, as a string", async () => {
    const m = await ok({ ...base, type: "page", properties: { url: "https://shop.example/" }, context: { sessionId: 1732600000123, sessionStart: true } });
    expect(m.envelope.session_id).toBe("1732600000123");
  });
});

describe("identity signature of a browser key's message", () => {
  it("comes from context.user_id_sig, traits.user_id_sig or context.traits.user_id_sig, and is never in the stored traits", async () => {
    const fromTraits = await ok({ ...base, type: "identify", userId: "u-1", traits: { plan: "pro", user_id_sig: SIG } });
    expect(fromTraits.envelope.user_id_sig).toBe(SIG);
    expect(fromTraits.envelope.events[0]).toMatchObject({ type: "custom", props: { name: "identify", properties: { plan: "pro" } } });
    expect(JSON.stringify(fromTraits.envelope.events)).not.toContain(SIG);
    expect(fromTraits.ignored).toEqual([]);
    // RudderStack: identify traits live in context.traits, and later calls repeat them there.
    const rs = await ok({ ...base, type: "identify", userId: "u-1", context: { traits: { tier: "gold", user_id_sig: SIG } } });
    expect(rs.envelope.user_id_sig).toBe(SIG);
    expect(JSON.stringify(rs.envelope.events)).not.toContain(SIG);
    const track = await ok({ ...base, type: "track", event: "E", userId: "u-1", context: { traits: { user_id_sig: SIG } } });
    expect(track.envelope.user_id_sig).toBe(SIG);
    const ctx = await ok({ ...base, type: "track", event: "E", userId: "u-1", context: { user_id_sig: SIG } });
    expect(ctx.envelope.user_id_sig).toBe(SIG);
  });

  it("a malformed signature refuses the message at the field the sender used", async () => {
    const r = (await mapMessage({ ...base, type: "identify", userId: "u-1", traits: { user_id_sig: "nope" } }, browser)) as RejectedMessage;
    expect(r.ok).toBe(false);
    expect(r.errors[0]!.path).toBe("traits.user_id_sig");
  });

  it("is not read without a userId, nor for server keys (trusted), and is still kept out of their traits", async () => {
    expect((await ok({ ...base, type: "track", event: "E", context: { user_id_sig: SIG } })).envelope.user_id_sig).toBeUndefined();
    const s = await ok({ ...base, type: "identify", userId: "u-1", traits: { user_id_sig: SIG } }, server);
    expect(s.envelope.user_id_sig).toBeUndefined();
    expect(JSON.stringify(s.envelope)).not.toContain(SIG);
  });

  it("helpers: first place wins; traits are copied; raw text is redacted", () => {
    expect(signatureOf({ context: { user_id_sig: "a", traits: { user_id_sig: "c" } }, traits: { user_id_sig: "b" } })).toEqual({ value: "a", from: "context.user_id_sig" });
    expect(signatureOf({ traits: { user_id_sig: "" } })).toBeNull();
    const t = { a: 1, user_id_sig: "x" };
    expect(withoutSignature(t)).toEqual({ a: 1 });
    expect(t.user_id_sig).toBe("x");
    expect(redactSignatures(`{"traits":{"user_id_sig":"${SIG}","x":"y"}}`)).toBe('{"traits":{"user_id_sig":"[redacted]","x":"y"}}');
  });
});

describe("consent stated by the SDKs becomes the envelope's consent", () => {
  it("Segment's categoryPreferences and RudderStack's consentManagement", async () => {
    const seg = (prefs: Record<string, unknown>) => ok({ ...base, type: "track", event: "E", context: { consent: { categoryPreferences: prefs } } });
    expect((await seg({ Analytics: true, Advertising: false })).envelope.consent).toBe("granted");
    expect((await seg({ Analytics: false, Advertising: false })).envelope.consent).toBe("denied");
    expect((await seg({})).envelope.consent).toBeUndefined();
    const rs = (cm: Record<string, unknown>) => ok({ ...base, type: "track", event: "E", context: { consentManagement: { provider: "custom", ...cm } } });
    expect((await rs({ allowedConsentIds: ["C0001"], deniedConsentIds: ["C0004"] })).envelope.consent).toBe("granted");
    expect((await rs({ allowedConsentIds: [], deniedConsentIds: ["C0001"] })).envelope.consent).toBe("denied");
    expect((await ok({ ...base, type: "track", event: "E" })).envelope.consent).toBeUndefined();
  });

  it("follows the site's consent_categories when it has them", async () => {
    const o = { ...browser, consentCategories: ["Analytics"] };
    const m = (prefs: Record<string, unknown>) => ok({ ...base, type: "track", event: "E", context: { consent: { categoryPreferences: prefs } } }, o);
    expect((await m({ analytics: true, Advertising: false })).envelope.consent).toBe("granted");
    expect((await m({ Analytics: false, Advertising: true })).envelope.consent).toBe("denied");
    expect((await m({ Advertising: true })).envelope.consent).toBeUndefined();
  });
});
