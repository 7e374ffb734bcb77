/**
 * analytics.js's own telemetry (POST /v1/m, sent without a key): `{"series": [{"type":
 * "Counter", "metric": "analytics_js.invoke", "value": 1, "tags": {...}}]}`. Only the metric
 * names and values are counted; the tags (library version, method, integration name, error
 * messages, sometimes the write key) are never read into storage. Names outside the known
 * list count as "other", so a sender cannot grow the metrics rows. Pure.
 */
import type { FieldError } from "./validate";

export const SDK_METRICS_MAX_BYTES = 16 * 1024;
export const MAX_SERIES = 100;
/** What analytics.js 1.x sends (core/stats, browser/standalone.ts). */
export const KNOWN_SDK_METRICS = ["analytics_js.invoke", "analytics_js.invoke.error", "analytics_js.integration.invoke", "analytics_js.integration.invoke.error"] as const;
const KNOWN = new Set<string>(KNOWN_SDK_METRICS);

export type SdkMetrics = { ok: true; counts: Record<string, number> } | { ok: false; details: FieldError[] };

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

export function parseSdkMetrics(doc: unknown): SdkMetrics {
  if (!isObj(doc)) return { ok: false, details: [{ path: "(root)", message: "expected a JSON object" }] };
  const series = doc.series;
  if (!Array.isArray(series)) return { ok: false, details: [{ path: "series", message: "expected an array of metrics" }] };
  if (series.length === 0 || series.length > MAX_SERIES) return { ok: false, details: [{ path: "series", message: `expected 1 to ${MAX_SERIES} metrics` }] };
  const counts: Record<string, number> = {};
  const details: FieldError[] = [];
  series.forEach((m, i) => {
    if (!isObj(m)) return void details.push({ path: `series[${i}]`, message: "expected an object" });
    if (typeof m.metric !== "string" || m.metric.length === 0 || m.metric.length > 200) return void details.push({ path: `series[${i}].metric`, message: "expected a metric name" });
    const value = m.value ?? 1;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 1000) return void details.push({ path: `series[${i}].value`, message: "expected an integer from 1 to 1000" });
    const name = KNOWN.has(m.metric) ? m.metric : "other";
    counts[name] = (counts[name] ?? 0) + value;
  });
  return details.length ? { ok: false, details: details.slice(0, 20) } : { ok: true, counts };
}
