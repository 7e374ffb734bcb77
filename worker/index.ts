/** Worker entry: the HTTP app, the queue consumer and the per-user Durable Object class. */
import { app } from "./app";
import { consumeBatch } from "./queue/consumer";
import { consumeDeadLetters } from "./queue/deadletter";

export { LakeLedger } from "../durable-objects/lake-ledger";
export { SiteStats } from "../durable-objects/site-stats";
export { UserProfile } from "../durable-objects/user-profile";

const handler: ExportedHandler<Env> = {
  fetch: app.fetch,
  queue: (batch, env) => (batch.queue.endsWith("-dlq") ? consumeDeadLetters(batch, env) : consumeBatch(batch, env)),
};
export default handler;
