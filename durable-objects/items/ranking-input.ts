/**
 * What ranking needs from a person's profile, and nothing else (no ids, geo, device, counts):
 * the user's object answers recommendation reads with this, so profile fields cannot leak
 * into a recommendation answer (user_id is only for the route's visitor check). Pure.
 */
import { decay, type AffinityKind, type Profile } from "../profile";

export interface RankingInput {
  /** The person's user id, if known: only for the route's visitor check, never in an answer. */
  user_id: string | null;
  /** Newest first, at most 20: the products the person viewed, clicked, carted or bought. */
  recent: { product_id: string; action: "view" | "click" | "cart" | "purchase"; at: number; category: string | null; brand: string | null }[];
  /** Decayed affinities, strongest first, at most 10 each. */
  categories: { key: string; score: number }[];
  brands: { key: string; score: number }[];
  cart: string[];
  purchased: string[];
}

const TOP_AFFINITIES = 10;

export function rankingInput(p: Profile, now: number, halfLifeMs: number): RankingInput {
  const top = (k: AffinityKind) =>
    Object.entries(p.affinities[k])
      .map(([key, d]) => ({ key, score: Math.round(decay(d, now, halfLifeMs) * 1000) / 1000 }))
      .filter((x) => x.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, TOP_AFFINITIES);
  return {
    user_id: p.user_id,
    recent: p.recent_products.map((r) => ({ product_id: r.product_id, action: r.action, at: Date.parse(r.at), category: r.category, brand: r.brand })),
    categories: top("categories"),
    brands: top("brands"),
    cart: p.cart.items.map((i) => i.product_id),
    // Profiles stored before purchases.product_ids existed still know recent purchases.
    purchased: [...new Set([...(p.purchases.product_ids ?? []), ...p.recent_products.filter((r) => r.action === "purchase").map((r) => r.product_id)])],
  };
}
