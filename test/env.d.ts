// `env` comes typed from worker/env.ts (Cloudflare.Env); `exports` needs the default entry.
declare namespace Cloudflare {
  interface Exports {
    default: Fetcher;
  }
}
