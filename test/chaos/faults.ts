/**
 * Fault injection for the chaos project, by wrapping bindings: production code never sees it.
 * The chaos entry (entry.ts) hands these wrapped bindings to the real worker and objects.
 *   queue_send       sendBatch fails before anything is sent
 *   queue_ambiguous  sendBatch sends, then fails (the object keeps its rows and re-sends the chunk)
 *   r2_put           put fails before anything is written
 *   r2_ambiguous     put writes the object, then fails (the consumer cannot tell; its commit never happens)
 */
export type FaultName = "queue_send" | "queue_ambiguous" | "r2_put" | "r2_ambiguous";
export type FaultRates = Partial<Record<FaultName, number>>;

/** Injected faults by name in this isolate, for the chaos report. */
export const injected: Record<string, number> = {};

export class InjectedFault extends Error {
  constructor(name: FaultName) {
    super(`injected fault: ${name}`);
  }
}

function roll(rates: FaultRates, name: FaultName): boolean {
  const hit = Math.random() < (rates[name] ?? 0);
  if (hit) injected[name] = (injected[name] ?? 0) + 1;
  return hit;
}

export function faultyQueue<T>(q: Queue<T>, rates: FaultRates): Queue<T> {
  return new Proxy(q, {
    get(target, prop) {
      if (prop === "sendBatch")
        return async (msgs: Iterable<MessageSendRequest<T>>, opts?: QueueSendBatchOptions) => {
          if (roll(rates, "queue_send")) throw new InjectedFault("queue_send");
          const r = await target.sendBatch(msgs, opts);
          if (roll(rates, "queue_ambiguous")) throw new InjectedFault("queue_ambiguous");
          return r;
        };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

export function faultyBucket(b: R2Bucket, rates: FaultRates): R2Bucket {
  return new Proxy(b, {
    get(target, prop) {
      if (prop === "put")
        return async (...args: Parameters<R2Bucket["put"]>) => {
          if (roll(rates, "r2_put")) throw new InjectedFault("r2_put");
          const r = await target.put(...args);
          if (roll(rates, "r2_ambiguous")) throw new InjectedFault("r2_ambiguous");
          return r;
        };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** The same env with EVENTS and LAKE failing at the given rates. */
export function faultyEnv(env: Env, rates: FaultRates): Env {
  return { ...env, EVENTS: faultyQueue(env.EVENTS, rates), LAKE: faultyBucket(env.LAKE, rates) };
}
