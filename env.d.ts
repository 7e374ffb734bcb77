/**
 * The worker's bindings and variables, typed once for every folder (worker/, durable-objects/,
 * tests), as `wrangler types` would generate them from wrangler.toml. Global: `Env`.
 */
declare namespace Cloudflare {
  interface Env {
    PROFILES: DurableObjectNamespace<import("./durable-objects/user-profile").UserProfile>;
    /** One per lake partition (site, day, hour): which flush chunks are in R2. */
    LEDGER: DurableObjectNamespace<import("./durable-objects/lake-ledger").LakeLedger>;
    /** Metrics window: one object per (site, hour) (durable-objects/site-stats.ts). */
    STATS: DurableObjectNamespace<import("./durable-objects/site-stats").SiteStats>;
    /** One per lake partition: its Parquet generations and the NDJSON objects each covers (worker/lake/compact.ts). */
    LAKE_MANIFEST: DurableObjectNamespace<import("./durable-objects/lake-manifest").LakeManifest>;
    /** The lake purge job's ledger, one object "lake" (durable-objects/purge-ledger.ts). */
    PURGE: DurableObjectNamespace<import("./durable-objects/purge-ledger").PurgeLedger>;
    /** Site-wide item knowledge and catalogue: one object per (site, shard) (durable-objects/items/item-stats.ts). */
    ITEMS: DurableObjectNamespace<import("./durable-objects/items/item-stats").ItemStats>;
    /** Trending products: one object per site (durable-objects/items/item-trends.ts). */
    TRENDS: DurableObjectNamespace<import("./durable-objects/items/item-trends").ItemTrends>;
    EVENTS: Queue<import("./schemas").LakeMessage>;
    LAKE: R2Bucket;
    /** Workers Analytics Engine dataset for metrics (docs/OBSERVABILITY.md); a no-op locally. */
    METRICS?: AnalyticsEngineDataset;
    /** Rate limits (wrangler.toml [[ratelimits]]): per client IP, per site. */
    IP_LIMITER?: RateLimit;
    SITE_LIMITER?: RateLimit;
    /** JSON: {"<site>": {"origins": ["https://shop.example", "http://localhost:*"]}} (schemas/sites.ts). */
    SITES: string;
    /** Secret, JSON: {"<site>": {"server_keys": ["..."], "identity_secret": "..."}} (schemas/sites.ts). */
    SITE_SECRETS?: string;
    /** Secret. Admin routes answer 401 to everyone while it is unset. */
    ADMIN_TOKEN?: string;
    FLUSH_MAX_EVENTS?: string;
    FLUSH_INTERVAL_MS?: string;
    DEDUP_TTL_HOURS?: string;
    PROFILE_HALF_LIFE_HOURS?: string;
    /** Site-wide item statistics (durable-objects/items/tuning.ts): "off" stops them. */
    ITEM_STATS?: string;
    ITEM_SHARDS?: string;
    ITEM_HALF_LIFE_HOURS?: string;
    TRENDING_HALF_LIFE_HOURS?: string;
    ITEM_SHARD_MAX_PRODUCTS?: string;
    CATALOG_SHARD_MAX_PRODUCTS?: string;
    /** Share of refused beacons whose bad rows are kept in rejected/ (0..1, default 1). */
    REJECTED_SAMPLE_RATE?: string;
    /** Cron string that also runs the purge job (worker/scheduled.ts; default "17 3 * * *"); it must be in [triggers] crons. */
    PURGE_CRON?: string;
    /** Most lake objects one purge run reads (default 2000); the next run continues. */
    PURGE_MAX_OBJECTS?: string;
    /** Longest wait between retries of a failed queue message, in seconds (default 300; worker/queue/consumer.ts). */
    QUEUE_RETRY_MAX_SECONDS?: string;
    /** Lake compaction (worker/lake/schedule.ts): NDJSON retention in days (7), hours looked back (24), per-generation and per-run caps. */
    LAKE_NDJSON_RETENTION_DAYS?: string;
    LAKE_COMPACT_LOOKBACK_HOURS?: string;
    LAKE_COMPACT_MAX_OBJECTS?: string;
    LAKE_COMPACT_MAX_EVENTS?: string;
    LAKE_COMPACT_RUN_OBJECTS?: string;
    /** "1": also send stored records to the Pipelines stream bound as LAKE_STREAM (worker/lake/pipeline.ts). */
    PIPELINE_STREAM?: string;
    LAKE_STREAM?: import("cloudflare:pipelines").Pipeline;
  }
}
interface Env extends Cloudflare.Env {}
