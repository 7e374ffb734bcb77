/**
 * Structured logs: one JSON line per call, read by `wrangler tail` and Workers Logs. Callers
 * pass counts, names and timings; fields that could carry secrets, addresses or payloads are
 * dropped by name, and long strings are cut, so a careless call cannot leak them.
 */
const FORBIDDEN = /^(ip|.*_ip|ips|authorization|cookie|set_cookie|token|.*token|.*secret.*|password|headers|body|payload|props|properties|raw|records|events|url|query|user_agent|ua)$/i;
const MAX_STRING = 300;

export function logFields(msg: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { msg };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || FORBIDDEN.test(k)) continue;
    out[k] = typeof v === "string" && v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v;
  }
  return out;
}

export function log(msg: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify(logFields(msg, fields)));
}
