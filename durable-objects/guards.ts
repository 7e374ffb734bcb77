/**
 * The two gates an accepted event passes inside the ingest transaction, over the user's own
 * state: consent (consent.ts: hold until granted, purge on denial) and the behavioural bot
 * score (bot-score.ts: flag, or drop on sites that ask for it).
 */
import type { SiteConfig, StoredRecord } from "../schemas";
import { emptyBotState, scoreEvent, type BotState } from "./bot-score";
import { consentStep, HOLD_MAX_EVENTS, type ConsentState } from "./consent";
import type { Profile } from "./profile";
import type { UserStore } from "./user-store";

/** Which new events are processed now; held ones wait in the store, denied ones are gone. */
export function admitByConsent(store: UserStore, site: SiteConfig, fresh: StoredRecord[], incoming: ConsentState | undefined, now: number): { process: StoredRecord[]; denied: number; held: number } {
  const stored = consentOf(store);
  const step = consentStep(site.consent_mode, stored, incoming);
  if (step.state !== stored) store.setMeta("consent", step.state);
  if (step.purge) store.purgeHeld();
  if (step.action === "drop") return { process: [], denied: fresh.length, held: 0 };
  if (step.action === "hold") {
    store.hold(fresh, now, HOLD_MAX_EVENTS);
    return { process: [], denied: 0, held: fresh.length };
  }
  if (!step.release) return { process: fresh, denied: 0, held: 0 };
  return { process: [...store.releaseHeld(), ...fresh], denied: 0, held: 0 };
}

export function consentOf(store: UserStore): ConsentState {
  return (store.meta("consent") as ConsentState | null) ?? "unknown";
}

export function botStateOf(store: UserStore): BotState {
  const raw = store.meta("bot");
  return raw ? (JSON.parse(raw) as BotState) : emptyBotState();
}

/** Scores events in order against the user's own history; `admit` false means "drop this one". */
export function botGuard(store: UserStore, site: SiteConfig) {
  let state = botStateOf(store);
  let changed = false;
  let dropped = 0;
  return {
    admit(r: StoredRecord, p: Profile): boolean {
      const cur = p.sessions.current;
      // Only a purchase asks which products the profile knows: build that set only then.
      const history = {
        get knownProducts() {
          return new Set([...p.recent_products.map((x) => x.product_id), ...p.cart.items.map((x) => x.product_id)]);
        },
        sessionPages: cur && (cur.id === r.session_id || !r.session_id) ? cur.pages : 0,
      };
      state = scoreEvent(state, r, history);
      changed = true;
      r.bot_score = state.score;
      r.bot_reasons = state.reasons;
      if (site.bot_action === "drop" && state.score >= site.bot_threshold) {
        dropped++;
        return false;
      }
      return true;
    },
    save(): void {
      if (changed) store.setMeta("bot", JSON.stringify(state));
      if (dropped) store.setMeta("bot_dropped", String(Number(store.meta("bot_dropped") ?? 0) + dropped));
    },
  };
}
