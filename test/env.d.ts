// `env` comes typed from env.d.ts (Cloudflare.Env); `exports` needs the default entry.
declare namespace Cloudflare {
  interface Exports {
    default: Fetcher;
  }
}
