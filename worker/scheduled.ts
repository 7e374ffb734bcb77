/**
 * Cron Triggers, dispatched by their cron string: each job has one expression (wrangler.toml
 * [triggers] crons lists them all; the variable of a job names the one that runs it). The
 * lake compaction of issue 17 adds its own entry here (hourly).
 */
import type { Env } from "./env";
import { PurgeBusy, runPurge } from "./lake/purge";
import { log } from "./lib/log";

/** Daily at 03:17 UTC; set PURGE_CRON (and the same string in [triggers] crons) to change it. */
export const DEFAULT_PURGE_CRON = "17 3 * * *";

export type Job = "purge";

/** The job a cron string runs, or null for a cron no job claims. */
export function jobOf(cron: string, env: Pick<Env, "PURGE_CRON">): Job | null {
  const jobs: [Job, string][] = [["purge", env.PURGE_CRON || DEFAULT_PURGE_CRON]];
  return jobs.find(([, c]) => c.trim() === cron.trim())?.[0] ?? null;
}

/** A job that fails throws, so the Cron Trigger's run is marked failed (Cron Events, logs). */
export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const job = jobOf(controller.cron, env);
  switch (job) {
    case "purge":
      try {
        await runPurge(env);
      } catch (e) {
        if (!(e instanceof PurgeBusy)) throw e;
        log("purge already running", { holder: e.holder }); // an admin-started run; this one is not needed
      }
      return;
    default:
      log("no job for this cron", { cron: controller.cron });
  }
}
