import { describe, expect, it } from "vitest";
import { decideConsent, rudderVerdicts, sdkConsent, segmentVerdicts } from "./sdk-consent";

const v = (granted: string[], denied: string[]) => ({ granted: new Set(granted), denied: new Set(denied) });

describe("SDK consent mapping", () => {
  it("default rule: any granted -> granted, stated but none granted -> denied, nothing stated -> no statement", () => {
    expect(decideConsent(v(["analytics"], ["ads"]))).toBe("granted");
    expect(decideConsent(v([], ["analytics", "ads"]))).toBe("denied");
    expect(decideConsent(v([], []))).toBeUndefined();
  });

  it("with consent_categories: all listed granted -> granted, any listed denied -> denied, else nothing", () => {
    expect(decideConsent(v(["analytics", "ads"], []), ["Analytics"])).toBe("granted");
    expect(decideConsent(v(["ads"], ["analytics"]), ["Analytics"])).toBe("denied");
    expect(decideConsent(v(["analytics"], []), ["Analytics", "Personalization"])).toBeUndefined();
    expect(decideConsent(v(["analytics"], ["personalization"]), ["Analytics", "Personalization"])).toBe("denied");
  });

  it("reads Segment's booleans only, case-insensitively", () => {
    expect(segmentVerdicts({ consent: { categoryPreferences: { Analytics: true, Ads: false, Other: "yes" } } })).toEqual(v(["analytics"], ["ads"]));
    expect(segmentVerdicts({ consent: "granted" })).toEqual(v([], []));
  });

  it("reads RudderStack's id lists, and the object form of older SDKs", () => {
    expect(rudderVerdicts({ consentManagement: { allowedConsentIds: ["C0001", 2], deniedConsentIds: ["C0004"] } })).toEqual(v(["c0001", "2"], ["c0004"]));
    expect(rudderVerdicts({ consentManagement: { allowedConsentIds: { C0001: "Necessary" } } })).toEqual(v(["c0001"], []));
    expect(rudderVerdicts({ consentManagement: { allowedConsentIds: "C0001" } })).toEqual(v([], []));
  });

  it("combines both SDKs' fields", () => {
    expect(sdkConsent({ consent: { categoryPreferences: { a: false } }, consentManagement: { allowedConsentIds: ["b"] } })).toBe("granted");
    expect(sdkConsent({ consent: { categoryPreferences: { a: false } }, consentManagement: { deniedConsentIds: ["b"] } })).toBe("denied");
  });
});
