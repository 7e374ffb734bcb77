/**
 * A simulated shop for `npm run eval`, pure and seeded: a catalogue with categories, brands
 * and popularity skew; products that go together across categories (shoes -> socks); and
 * shoppers with favourite categories and brands whose sessions move between similar
 * products, complements, popular products and noise. See docs/RECOMMENDATIONS.md.
 */
import { mulberry32 } from "../../worker/lib/random";

/** The simulation's seeded generator. */
export const rng = mulberry32;

export interface Product {
  id: string;
  category: number;
  /** Position on the category's "style" line: neighbours on it are similar products. */
  index: number;
  brand: string;
  price: number;
}
export interface Shop {
  categories: string[];
  products: Product[];
  byCategory: Product[][];
  /** Category popularity weights (Zipf). */
  categoryWeight: number[];
  /** Per category: product popularity weights (Zipf over a shuffled order). */
  productWeight: number[][];
  /** Per category: its complementary categories. */
  complements: number[][];
}
export interface Shopper {
  id: string;
  favourites: number[];
  brand: string;
}
export type Step = { product: string; action: "view" | "cart" | "purchase" };
export interface Session {
  shopper: string;
  steps: Step[];
}

export const SIM = {
  categories: 16,
  perCategory: 60,
  brandsPerCategory: 4,
  /** Next step: similar product, complement, favourite-category popular, re-view, anything popular. */
  mix: { similar: 0.45, complement: 0.15, favourite: 0.15, review: 0.1, noise: 0.15 },
  cartRate: 0.12,
  purchaseRate: 0.35,
  meanLength: 7,
} as const;


function pick(weights: readonly number[], r: () => number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = r() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x <= 0) return i;
  }
  return weights.length - 1;
}

const zipf = (n: number, s = 1.0) => Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, s));

export function makeShop(seed = 1): Shop {
  const r = rng(seed);
  const names = ["shoes", "socks", "shirts", "jackets", "bags", "hats", "belts", "watches", "scarves", "gloves", "jeans", "dresses", "sunglasses", "wallets", "laces", "insoles"];
  const categories = names.slice(0, SIM.categories);
  const products: Product[] = [];
  const byCategory: Product[][] = [];
  const productWeight: number[][] = [];
  categories.forEach((cat, c) => {
    const list: Product[] = [];
    for (let i = 0; i < SIM.perCategory; i++) {
      const p = { id: `${cat}-${String(i).padStart(3, "0")}`, category: c, index: i, brand: `${cat}-brand-${Math.floor(r() * SIM.brandsPerCategory)}`, price: Math.round((10 + r() * 190) * 100) / 100 };
      list.push(p);
      products.push(p);
    }
    byCategory.push(list);
    // Popularity does not follow the style line: a shuffled Zipf.
    const w = zipf(SIM.perCategory);
    for (let i = w.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [w[i], w[j]] = [w[j]!, w[i]!];
    }
    productWeight.push(w);
  });
  const complements = categories.map((_, c) => [(c + 1) % SIM.categories, (c + 5) % SIM.categories]);
  return { categories, products, byCategory, categoryWeight: zipf(SIM.categories, 0.8), productWeight, complements };
}

export function makeShoppers(shop: Shop, n: number, seed: number, prefix: string): Shopper[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const a = pick(shop.categoryWeight, r);
    let b = pick(shop.categoryWeight, r);
    if (b === a) b = (a + 3) % SIM.categories;
    return { id: `${prefix}-${i}`, favourites: [a, b], brand: shop.byCategory[a]![Math.floor(r() * SIM.perCategory)]!.brand };
  });
}

/** The product that items bought with `p` in a complementary category most often are. */
export function complementOf(shop: Shop, p: Product, k: number): Product {
  const cats = shop.complements[p.category]!;
  const c = cats[k % cats.length]!;
  return shop.byCategory[c]![(p.index * 7 + 3 * (k % 2)) % SIM.perCategory]!;
}

function popularIn(shop: Shop, c: number, s: Shopper, r: () => number): Product {
  const w = shop.productWeight[c]!.map((x, i) => (shop.byCategory[c]![i]!.brand === s.brand ? x * 3 : x));
  return shop.byCategory[c]![pick(w, r)]!;
}

export function makeSession(shop: Shop, s: Shopper, r: () => number): Session {
  const len = 2 + Math.floor(-Math.log(1 - r()) * (SIM.meanLength - 2));
  const fav = s.favourites[pick([2, 1], r)]!;
  let cur = popularIn(shop, fav, s, r);
  const seen: Product[] = [cur];
  const steps: Step[] = [{ product: cur.id, action: "view" }];
  const cart: string[] = [];
  const m = SIM.mix;
  while (steps.filter((x) => x.action === "view").length < Math.min(len, 30)) {
    const x = r();
    let next: Product;
    if (x < m.similar) {
      const d = (1 + Math.floor(r() * r() * 4)) * (r() < 0.5 ? -1 : 1);
      next = shop.byCategory[cur.category]![(cur.index + d + SIM.perCategory) % SIM.perCategory]!;
    } else if (x < m.similar + m.complement) next = complementOf(shop, cur, Math.floor(r() * 2));
    else if (x < m.similar + m.complement + m.favourite) next = popularIn(shop, s.favourites[pick([2, 1], r)]!, s, r);
    else if (x < m.similar + m.complement + m.favourite + m.review && seen.length > 1) next = seen[Math.floor(r() * (seen.length - 1))]!;
    else next = popularIn(shop, pick(shop.categoryWeight, r), s, r);
    if (next.id === cur.id) continue;
    cur = next;
    seen.push(cur);
    steps.push({ product: cur.id, action: "view" });
    if (r() < SIM.cartRate) {
      steps.push({ product: cur.id, action: "cart" });
      cart.push(cur.id);
    }
  }
  if (cart.length && r() < SIM.purchaseRate) for (const id of cart) steps.push({ product: id, action: "purchase" });
  return { shopper: s.id, steps };
}
