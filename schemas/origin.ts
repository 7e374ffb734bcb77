/** Origin allow-lists: `https://shop.example`, `https://*.shop.example`, `http://localhost:*`. */

export type OriginMatcher = (origin: string) => boolean;

export function compileOrigins(patterns: readonly string[]): OriginMatcher {
  const exact = new Set<string>();
  const res: RegExp[] = [];
  for (const p of patterns) {
    if (!p.includes("*")) {
      exact.add(p.toLowerCase());
      continue;
    }
    const m = /^(https?:\/\/)([^:]+)(?::(\d+|\*))?$/i.exec(p);
    if (!m) continue;
    const host = m[2]!.split(".").map((label) => (label === "*" ? "[a-z0-9-]+" : escape(label))).join("\\.");
    const port = m[3] === undefined ? "" : m[3] === "*" ? "(?::\\d{1,5})?" : `:${m[3]}`;
    res.push(new RegExp(`^${escape(m[1]!)}${host}${port}$`, "i"));
  }
  return (origin) => exact.has(origin.toLowerCase()) || res.some((r) => r.test(origin));
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
