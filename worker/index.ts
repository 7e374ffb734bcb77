/** Worker entry: the HTTP app, the queue consumers, the Cron Triggers and the Durable Object classes. */
import { app } from "./app";
import type { Env } from "./env";
import { consumeBatch } from "./queue/consumer";
import { consumeDeadLetters } from "./queue/deadletter";
import { scheduled } from "./scheduled";

export { LakeLedger } from "../durable-objects/lake-ledger";
export { PurgeLedger } from "../durable-objects/purge-ledger";
export { SiteStats } from "../durable-objects/site-stats";
export { UserProfile } from "../durable-objects/user-profile";

const handler: ExportedHandler<Env> = {
  fetch: app.fetch,
  queue: (batch, env) => (batch.queue.endsWith("-dlq") ? consumeDeadLetters(batch, env) : consumeBatch(batch, env)),
  scheduled,
};
export default handler;
