/**
 * The chaos project's entry (vitest.config.ts `main`): the real worker and object classes, with
 * their Queue and R2 bindings wrapped by faults.ts. Never deployed; production has no fault hooks.
 */
import worker, { ItemStats, ItemTrends, LakeLedger, LakeManifest, PurgeLedger, SiteStats, UserProfile as RealUserProfile } from "../../worker/index";
import { faultyEnv, type FaultRates } from "./faults";

// Few R2 puts happen (one per consumer batch and partition), so their rates are high enough to hit several.
export const RATES: FaultRates = { queue_send: 0.2, queue_ambiguous: 0.1, r2_put: 0.25, r2_ambiguous: 0.25 };

export class UserProfile extends RealUserProfile {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, faultyEnv(env, RATES));
  }
}
export { ItemStats, ItemTrends, LakeLedger, LakeManifest, PurgeLedger, SiteStats };

export default {
  fetch: (req, env, ctx) => worker.fetch!(req, env, ctx),
  queue: (batch, env, ctx) => worker.queue!(batch, faultyEnv(env, RATES), ctx),
} satisfies ExportedHandler<Env>;
