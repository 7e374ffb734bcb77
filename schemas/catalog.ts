/**
 * The product catalogue a site feeds to POST /v1/catalog/:site, and the site-wide item
 * statistics a user's object sends along with its flush chunks (durable-objects/items/).
 */
import { array, boolean, number, strictObject, string, unknown, url, type z } from "zod";

/** A product id as events carry it (schemas/events.ts: 1-128 characters). */
export const productId = string().min(1).max(128).regex(/^[^\u0000-\u001f]+$/, "control characters are not allowed");
const text = (max: number) => string().min(1).max(max);

export const MAX_CATALOG_BYTES = 1024 * 1024;
export const MAX_CATALOG_ITEMS = 1000;

/** One product. Only product_id is required; an upsert overwrites the fields it names. */
export const catalogItemSchema = strictObject({
  product_id: productId,
  title: text(512).optional(),
  url: url().max(2048).optional(),
  image: url().max(2048).optional(),
  price: number().finite().nonnegative().max(1e12).optional(),
  currency: string().regex(/^[A-Z]{3}$/, "expected an ISO 4217 code such as EUR").optional(),
  category: text(128).optional(),
  brand: text(128).optional(),
  /** false: never recommended. */
  available: boolean().optional(),
});
export type CatalogItem = z.infer<typeof catalogItemSchema>;

/** The body of POST /v1/catalog/:site; items are validated one by one. */
export const catalogBodySchema = strictObject({ items: array(unknown()).min(1).max(MAX_CATALOG_ITEMS) });

/** What one flush chunk adds to the site-wide item statistics (computed by the user's object). */
export interface ItemDelta {
  /** Epoch ms of the newest interaction in the chunk: the time the weights are valid at. */
  at: number;
  /** Products the chunk touched, or that its pairs name (history products have w = 0). */
  products: ProductFacts[];
  /** [from, to, weight, bought weight]: indexes into products; `to` followed `from` in a session. */
  pairs: [number, number, number, number][];
}
export interface ProductFacts {
  id: string;
  /** Interaction weight (view 1, click 2, cart 4, purchase 8) for popularity and trending. */
  w: number;
  category?: string;
  brand?: string;
  price?: number;
  currency?: string;
}
