/**
 * Site-wide item statistics, applied by the queue consumer: the deltas of the chunks this run
 * wrote to the lake (never those already there: a redelivery does not count twice), summed
 * per object, one RPC per ItemStats shard and per site's ItemTrends, in parallel. Best effort:
 * a failed write is logged and dropped (statistics, not records; the lake has every event).
 */
import type { LakeMessage } from "../../schemas";
import { chunksToApply, planItemUpdates } from "../../durable-objects/items/updates";
import { itemTuning } from "../../durable-objects/items/tuning";
import { log } from "../../durable-objects/lib/log";

export async function applyItemStats(env: Env, outcomes: Iterable<Map<string, string>>, messagesOf: Map<string, Message<unknown>[]>): Promise<void> {
  const apply = chunksToApply([...outcomes].flatMap((m) => [...m]));
  const deltas = [];
  for (const chunk of apply) {
    const body = messagesOf.get(chunk)?.[0]?.body as LakeMessage | undefined;
    if (body && (body.kind === undefined || body.kind === "events") && body.items) deltas.push({ site: body.site, items: body.items });
  }
  if (deltas.length === 0) return;
  const cfg = itemTuning(env);
  const plan = planItemUpdates(deltas, cfg.shards, cfg.halfLifeMs, cfg.trendHalfLifeMs);
  const calls = [
    ...[...plan.shards].map(([name, u]) => env.ITEMS.get(env.ITEMS.idFromName(name)).apply(u).then(() => undefined, (e: Error) => log("item stats write failed", { object: name, error: e.message }))),
    ...[...plan.trends].map(([site, u]) => env.TRENDS.get(env.TRENDS.idFromName(site)).apply(u).then(() => undefined, (e: Error) => log("trending write failed", { site, error: e.message }))),
  ];
  await Promise.all(calls);
}
