/**
 * The configuration documents the unmodified browser SDKs load before they send anything,
 * pointing them at this collector and at nothing else. Pure.
 *
 * - Segment analytics.js (@segment/analytics-next) loads `<cdnURL>/v1/projects/<key>/settings`
 *   and reads: `integrations["Segment.io"]` (apiKey, apiHost without a scheme, protocol; any
 *   other integration would be a device-mode destination loaded from Segment's CDN, so there
 *   is none), `metrics` (host/sampleRate of its own telemetry, sent to `https://<host>/m`:
 *   analytics.js takes that protocol from its load options, never from the settings, so the
 *   metrics are only on when the collector itself is reached over https), and it loads code
 *   for `remotePlugins`, `enabledMiddleware`, `middlewareSettings.routingRules` and
 *   `legacyVideoPluginsEnabled`: all empty or off.
 * - RudderStack's v3 SDK (@rudderstack/analytics-js) loads `<configUrl>/sourceConfig/?writeKey=`
 *   and refuses the document unless `source` is an object with an `id`, a `config` object and
 *   a `destinations` array; `source.enabled: false` stops it; `source.config.statsCollection`
 *   turns its error and metrics reports on (off here: they would go to `<dataPlane>/rsaMetrics`).
 */

/** How long browsers may keep these documents (Cache-Control: private, max-age=60). */
export const SETTINGS_MAX_AGE_S = 60;

export interface CollectorAddress {
  protocol: "http" | "https";
  /** host[:port], as the browser reached the collector. */
  host: string;
}

export function collectorAddress(requestUrl: string): CollectorAddress {
  const u = new URL(requestUrl);
  return { protocol: u.protocol === "http:" ? "http" : "https", host: u.host };
}

/** analytics.js's own default for metrics (Segment's settings use 0.1 too). */
export const SEGMENT_METRICS_SAMPLE_RATE = 0.1;

export function segmentSettings(writeKey: string, at: CollectorAddress) {
  const apiHost = `${at.host}/v1`;
  return {
    integrations: {
      "Segment.io": {
        apiKey: writeKey,
        apiHost,
        protocol: at.protocol,
        unbundledIntegrations: [],
        addBundledMetadata: true,
        maybeBundledConfigIds: {},
        versionSettings: { componentTypes: [] },
      },
    },
    metrics: at.protocol === "https" ? { host: apiHost, sampleRate: SEGMENT_METRICS_SAMPLE_RATE, flushTimer: 30_000, maxQueueSize: 20 } : { sampleRate: 0 },
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
    autoInstrumentationSettings: { sampleRate: 0 },
  };
}

export function rudderSourceConfig(writeKey: string, site: string) {
  return {
    isHosted: false,
    source: {
      id: site,
      name: site,
      writeKey,
      workspaceId: "edge-collector",
      enabled: true,
      deleted: false,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
  };
}
