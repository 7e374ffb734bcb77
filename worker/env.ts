import type { LakeMessage } from "../schemas";
import type { LakeLedger } from "../durable-objects/lake-ledger";
import type { PurgeLedger } from "../durable-objects/purge-ledger";
import type { SiteStats } from "../durable-objects/site-stats";
import type { UserProfile } from "../durable-objects/user-profile";

declare global {
  namespace Cloudflare {
    /** Bindings and variables, as declared in wrangler.toml (also the type of `env` in tests). */
    interface Env {
      PROFILES: DurableObjectNamespace<UserProfile>;
      LEDGER: DurableObjectNamespace<LakeLedger>;
      /** The lake purge job's ledger, one object "lake" (durable-objects/purge-ledger.ts). */
      PURGE: DurableObjectNamespace<PurgeLedger>;
      EVENTS: Queue<LakeMessage>;
      LAKE: R2Bucket;
      /** Metrics window: one object per (site, hour) (durable-objects/site-stats.ts). */
      STATS: DurableObjectNamespace<SiteStats>;
      /** Workers Analytics Engine dataset for metrics (docs/OBSERVABILITY.md); a no-op locally. */
      METRICS?: AnalyticsEngineDataset;
      /** Rate limits (wrangler.toml [[ratelimits]]): per client IP, per site. */
      IP_LIMITER?: RateLimit;
      SITE_LIMITER?: RateLimit;
      /** JSON: {"<site>": {"origins": ["https://shop.example", "http://localhost:*"]}} */
      SITES: string;
      /** Secret, JSON: {"<site>": {"server_keys": ["..."], "identity_secret": "..."}} (schemas/sites.ts). */
      SITE_SECRETS?: string;
      /** Secret. Admin routes answer 401 to everyone while it is unset. */
      ADMIN_TOKEN?: string;
      FLUSH_MAX_EVENTS?: string;
      FLUSH_INTERVAL_MS?: string;
      DEDUP_TTL_HOURS?: string;
      PROFILE_HALF_LIFE_HOURS?: string;
      /** Share of refused beacons whose bad rows are kept in rejected/ (0..1, default 1). */
      REJECTED_SAMPLE_RATE?: string;
      /** Longest wait between retries of a failed queue message, in seconds (default 300; worker/queue/consumer.ts). */
      QUEUE_RETRY_MAX_SECONDS?: string;
      /** Cron expression of the purge job; must also be in wrangler.toml [triggers] crons (default "17 3 * * *"). */
      PURGE_CRON?: string;
      /** Most lake objects one purge run reads (default 2000); the next run continues. */
      PURGE_MAX_OBJECTS?: string;
      /** Chaos tests only: failure rates for bindings (worker/faults.ts). */
      FAULTS?: string;
    }
  }
}
export type Env = Cloudflare.Env;

const int = (v: string | undefined, dflt: number, min: number, max: number): number => {
  const n = v === undefined || v === "" ? dflt : Number(v);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : dflt;
};

export interface Tuning {
  flushMaxEvents: number;
  flushIntervalMs: number;
  dedupTtlMs: number;
  halfLifeMs: number;
}

export function tuning(env: Env): Tuning {
  return {
    flushMaxEvents: int(env.FLUSH_MAX_EVENTS, 50, 1, 10_000),
    flushIntervalMs: int(env.FLUSH_INTERVAL_MS, 5_000, 0, 3_600_000),
    dedupTtlMs: int(env.DEDUP_TTL_HOURS, 7 * 24, 1, 24 * 365) * 3_600_000,
    halfLifeMs: int(env.PROFILE_HALF_LIFE_HOURS, 24, 1, 24 * 365) * 3_600_000,
  };
}
