import { describe, expect, it } from "vitest";
import { redactEmails, scrubUrl } from "./scrub";

describe("scrubbing", () => {
  it("removes credential and personal query parameters, keeps campaign ones", () => {
    expect(scrubUrl("https://shop.example/reset?token=abc&utm_source=news&Email=a@b.co&x=1")).toBe("https://shop.example/reset?utm_source=news&x=1");
    expect(scrubUrl("https://shop.example/p?ref=1&coupon=XYZ", ["coupon"])).toBe("https://shop.example/p?ref=1");
  });
  it("redacts e-mail addresses in paths, values and encoded forms", () => {
    expect(scrubUrl("https://shop.example/u/jane.doe@mail.example/orders")).toBe("https://shop.example/u/[email]/orders");
    expect(scrubUrl("https://shop.example/s?q=jane%40mail.example")).toBe("https://shop.example/s?q=[email]");
    expect(redactEmails("contact jane@mail.example now")).toBe("contact [email] now");
  });
  it("drops user info and token-bearing fragments", () => {
    expect(scrubUrl("https://user:pw@shop.example/#access_token=x&state=y")).toBe("https://shop.example/");
    expect(scrubUrl("https://shop.example/app#/cart")).toBe("https://shop.example/app#/cart");
  });
  it("leaves text that is not a URL readable", () => {
    expect(scrubUrl("not a url a@b.co")).toBe("not a url [email]");
  });
});
