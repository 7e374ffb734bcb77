/**
 * Cron Triggers, dispatched by their cron string (wrangler.toml [triggers] crons). Each job is the
 * same code an admin route runs on demand. test/compact.integration.test.ts checks that every
 * cron of wrangler.toml has a job here.
 */
import { compactScheduled } from "./lake/compact";
import { log } from "../durable-objects/lib/log";

/** Minute 5 of every hour: the hour that just closed has had 5 minutes for its last flushes. */
export const COMPACT_CRON = "5 * * * *";

export const JOBS: Record<string, (env: Env, scheduledTime: number) => Promise<unknown>> = {
  [COMPACT_CRON]: (env, at) => compactScheduled(env, at),
};

export async function runScheduled(controller: Pick<ScheduledController, "cron" | "scheduledTime">, env: Env): Promise<void> {
  const job = JOBS[controller.cron];
  if (!job) {
    log("no job for cron", { cron: controller.cron });
    return;
  }
  await job(env, controller.scheduledTime);
}
