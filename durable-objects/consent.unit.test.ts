import { describe, expect, it } from "vitest";
import { consentStep } from "./consent";

describe("consentStep", () => {
  it("processes everything when the site does not require consent", () => {
    expect(consentStep("off", "unknown", undefined)).toEqual({ state: "unknown", action: "process", release: false, purge: false });
    expect(consentStep("off", "unknown", "denied").action).toBe("process");
  });
  it("holds until granted, then releases once", () => {
    expect(consentStep("required", "unknown", undefined)).toMatchObject({ action: "hold", release: false });
    expect(consentStep("required", "unknown", "unknown")).toMatchObject({ action: "hold" });
    expect(consentStep("required", "unknown", "granted")).toEqual({ state: "granted", action: "process", release: true, purge: false });
    expect(consentStep("required", "granted", undefined)).toEqual({ state: "granted", action: "process", release: false, purge: false });
    expect(consentStep("required", "granted", "granted").release).toBe(false);
  });
  it("drops and purges on denial; an 'unknown' later does not undo a decision", () => {
    expect(consentStep("required", "unknown", "denied")).toEqual({ state: "denied", action: "drop", release: false, purge: true });
    expect(consentStep("required", "denied", "unknown")).toMatchObject({ state: "denied", action: "drop" });
    expect(consentStep("required", "granted", "unknown")).toMatchObject({ state: "granted", action: "process" });
    expect(consentStep("required", "denied", "granted")).toMatchObject({ state: "granted", action: "process", release: true });
  });
});
