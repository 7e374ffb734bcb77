import { describe, expect, it } from "vitest";
import { envelope, get, post, uid } from "./helpers";

describe("smoke", () => {
  it("accepts a beacon and shows the profile", async () => {
    const body = envelope();
    const res = await post(body);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const p = await get(`/v1/profiles/demo/${body.anonymous_id}`);
    expect(p.status).toBe(200);
    const prof = (await p.json()) as { counts: Record<string, number> };
    expect(prof.counts.page_view).toBe(1);
  });
});
