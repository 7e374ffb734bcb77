/**
 * Cron Triggers, dispatched by their cron string (wrangler.toml [triggers] crons). Each job is the
 * same code an admin route runs on demand. test/compact.integration.test.ts checks that every
 * cron of wrangler.toml has a job here.
 */
import { compactScheduled } from "./lake/compact";
import { PurgeBusy, runPurge } from "./lake/purge";
import { log } from "../durable-objects/lib/log";

/** Minute 5 of every hour: the hour that just closed has had 5 minutes for its last flushes. */
export const COMPACT_CRON = "5 * * * *";
/**
 * Daily at 03:17 UTC: the lake purge of erasures (worker/lake/purge.ts). Another schedule: put it
 * in [triggers] crons and in the PURGE_CRON variable (the same string).
 */
export const PURGE_CRON = "17 3 * * *";

async function purge(env: Env): Promise<unknown> {
  try {
    return await runPurge(env);
  } catch (e) {
    if (!(e instanceof PurgeBusy)) throw e; // a failed run marks the Cron Trigger run failed
    log("purge already running", { holder: e.holder }); // an admin-started run holds the lease
    return null;
  }
}

export const JOBS: Record<string, (env: Env, scheduledTime: number) => Promise<unknown>> = {
  [COMPACT_CRON]: (env, at) => compactScheduled(env, at),
  [PURGE_CRON]: (env) => purge(env),
};

/** The job of a cron string: the table above, or the purge when PURGE_CRON names this cron. */
export function jobOf(cron: string, env: Pick<Env, "PURGE_CRON">): ((env: Env, scheduledTime: number) => Promise<unknown>) | undefined {
  return JOBS[cron] ?? (env.PURGE_CRON && cron === env.PURGE_CRON ? JOBS[PURGE_CRON] : undefined);
}

export async function runScheduled(controller: Pick<ScheduledController, "cron" | "scheduledTime">, env: Env): Promise<void> {
  const job = jobOf(controller.cron, env);
  if (!job) {
    log("no job for cron", { cron: controller.cron });
    return;
  }
  await job(env, controller.scheduledTime);
}
