/** Worker entry: the HTTP app, the queue consumers, the Cron Triggers and the Durable Object classes. */
import { app } from "./app";
import { consumeBatch } from "./queue/consumer";
import { consumeDeadLetters } from "./queue/deadletter";
import { runScheduled } from "./scheduled";

export { ItemStats } from "../durable-objects/items/item-stats";
export { ItemTrends } from "../durable-objects/items/item-trends";
export { LakeLedger } from "../durable-objects/lake-ledger";
export { LakeManifest } from "../durable-objects/lake-manifest";
export { PurgeLedger } from "../durable-objects/purge-ledger";
export { SiteStats } from "../durable-objects/site-stats";
export { UserProfile } from "../durable-objects/user-profile";

const handler: ExportedHandler<Env> = {
  fetch: app.fetch,
  queue: (batch, env) => (batch.queue.endsWith("-dlq") ? consumeDeadLetters(batch, env) : consumeBatch(batch, env)),
  scheduled: (controller, env) => runScheduled(controller, env),
};
export default handler;
