import { describe, expect, it } from "vitest";
import { compileOrigins } from "./origin";

describe("compileOrigins", () => {
  const allows = compileOrigins(["https://shop.example", "https://*.shop.example", "http://localhost:*", "http://127.0.0.1:*"]);
  it("allows exact origins, subdomain and port wildcards", () => {
    for (const o of ["https://shop.example", "https://www.shop.example", "http://localhost:5173", "http://localhost", "http://127.0.0.1:8787", "HTTPS://SHOP.EXAMPLE"]) expect(allows(o), o).toBe(true);
  });
  it("refuses look-alikes", () => {
    for (const o of ["http://shop.example", "https://shop.example.evil.com", "https://evilshop.example", "https://a.b.shop.example", "http://localhost.evil.com", "http://localhost:80@evil.com", "null", "https://shop.example:8443"]) expect(allows(o), o).toBe(false);
  });
});
