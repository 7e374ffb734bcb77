/** Reading the lake through the admin API, as a data team would. */
import { expect } from "vitest";
import { get } from "./helpers";

export async function lakeKeys(prefix: string): Promise<string[]> {
  const list = (await (await get(`/v1/admin/lake?prefix=${encodeURIComponent(prefix)}`)).json()) as { key: string }[];
  return list.map((o) => o.key);
}

export async function lakeLines(prefix: string): Promise<any[]> {
  const out: any[] = [];
  for (const key of await lakeKeys(prefix)) {
    const res = await get(`/v1/admin/lake/${key}`);
    expect(res.status).toBe(200);
    out.push(...(await res.text()).trim().split("\n").filter(Boolean).map((l: string) => JSON.parse(l)));
  }
  return out;
}

export const today = () => new Date().toISOString().slice(0, 10);
