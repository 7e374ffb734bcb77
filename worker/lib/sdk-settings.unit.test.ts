import { describe, expect, it } from "vitest";
import { parseSdkMetrics } from "./sdk-metrics";
import { collectorAddress, rudderSourceConfig, segmentSettings } from "./sdk-settings";

describe("Segment settings", () => {
  it("points Segment.io at the collector's /v1, with no other integration and nothing that loads code", () => {
    const s = segmentSettings("key-1", collectorAddress("https://c.example/v1/projects/key-1/settings"));
    expect(Object.keys(s.integrations)).toEqual(["Segment.io"]);
    expect(s.integrations["Segment.io"]).toMatchObject({ apiKey: "key-1", apiHost: "c.example/v1", protocol: "https" });
    expect(s).toMatchObject({ remotePlugins: [], enabledMiddleware: {}, middlewareSettings: {}, legacyVideoPluginsEnabled: false });
    expect(s.metrics).toMatchObject({ host: "c.example/v1", sampleRate: 0.1 });
  });

  it("over http (local) keeps the port and turns analytics.js's metrics off: it would send them over https", () => {
    const s = segmentSettings("k", collectorAddress("http://127.0.0.1:8787/v1/projects/k/settings"));
    expect(s.integrations["Segment.io"]).toMatchObject({ apiHost: "127.0.0.1:8787/v1", protocol: "http" });
    expect(s.metrics).toEqual({ sampleRate: 0 });
  });
});

describe("RudderStack source config", () => {
  it("has what the v3 SDK validates: source.id, source.config, source.destinations, enabled; reports off", () => {
    const r = rudderSourceConfig("k", "demo");
    expect(r.source).toMatchObject({ id: "demo", enabled: true, destinations: [], config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } } });
  });
});

describe("analytics.js metrics", () => {
  it("counts known metric names, everything else as other; never the tags", () => {
    const m = parseSdkMetrics({ series: [
      { type: "Counter", metric: "analytics_js.invoke", value: 1, tags: { library: "analytics.js", wk: "secret-ish" } },
      { type: "Counter", metric: "analytics_js.invoke", value: 2, tags: {} },
      { type: "Counter", metric: "made.up", value: 1, tags: {} },
    ] });
    expect(m).toEqual({ ok: true, counts: { "analytics_js.invoke": 3, other: 1 } });
  });
  it("refuses malformed bodies naming the field", () => {
    expect(parseSdkMetrics([])).toMatchObject({ ok: false, details: [{ path: "(root)" }] });
    expect(parseSdkMetrics({ series: [] })).toMatchObject({ ok: false, details: [{ path: "series" }] });
    expect(parseSdkMetrics({ series: [{ metric: 3 }] })).toMatchObject({ ok: false, details: [{ path: "series[0].metric" }] });
    expect(parseSdkMetrics({ series: [{ metric: "analytics_js.invoke", value: -1 }] })).toMatchObject({ ok: false, details: [{ path: "series[0].value" }] });
  });
});
