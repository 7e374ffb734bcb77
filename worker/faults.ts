/**
 * Chaos testing. When the FAULTS variable is set (only by the chaos test project, never in
 * wrangler.toml), the real bindings fail at the given rates so tests can prove that nothing
 * accepted is lost or duplicated. Unset, `fault()` is a constant false and costs nothing.
 *
 * FAULTS = {"queue_send": 0.2, "r2_put": 0.1, "flush_crash_after_send": 0.1, "consumer_crash_after_put": 0.05}
 */
export type FaultName = "queue_send" | "r2_put" | "flush_crash_after_send" | "consumer_crash_after_put";

let parsed: { raw: string; rates: Partial<Record<FaultName, number>> } | undefined;
/** Injected faults by name in this isolate, for the chaos report. */
export const injected: Record<string, number> = {};

export function fault(env: { FAULTS?: string }, name: FaultName): boolean {
  const raw = env.FAULTS;
  if (!raw) return false;
  if (parsed?.raw !== raw) parsed = { raw, rates: JSON.parse(raw) as Partial<Record<FaultName, number>> };
  const hit = Math.random() < (parsed.rates[name] ?? 0);
  if (hit) injected[name] = (injected[name] ?? 0) + 1;
  return hit;
}

export class InjectedFault extends Error {
  constructor(name: FaultName) {
    super(`injected fault: ${name}`);
  }
}
