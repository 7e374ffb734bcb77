/**
 * Event types and their props. Strict: unknown keys are rejected, strings are
 * length-bounded, money is finite and non-negative. Shared by the worker, the
 * snippet's types and the docs (JSON Schema is generated from these).
 */
import { z } from "zod";

const str = (max: number) => z.string().min(1).max(max);
const id = str(128);
const money = z.number().finite().nonnegative().max(1e12);
const currency = z.string().regex(/^[A-Z]{3}$/, "expected an ISO 4217 code such as EUR");
const count = z.number().int().nonnegative().max(1_000_000);
const quantity = z.number().int().positive().max(100_000);

export const pageViewProps = z.strictObject({
  url: z.url().max(2048).optional(),
  title: z.string().max(512).optional(),
  path: z.string().max(2048).optional(),
});
export const productViewProps = z.strictObject({
  product_id: id,
  category: str(128).optional(),
  brand: str(128).optional(),
  price: money.optional(),
  currency: currency.optional(),
});
export const productClickProps = z.strictObject({
  product_id: id,
  category: str(128).optional(),
  position: z.number().int().nonnegative().max(100_000).optional(),
  list: str(128).optional(),
});
export const addToCartProps = z.strictObject({
  product_id: id,
  quantity,
  price: money.optional(),
  currency: currency.optional(),
});
export const removeFromCartProps = z.strictObject({
  product_id: id,
  quantity: quantity.optional(),
});
export const purchaseItem = z.strictObject({
  product_id: id,
  quantity,
  price: money.optional(),
});
export const purchaseProps = z.strictObject({
  order_id: id,
  revenue: money,
  currency,
  items: z.array(purchaseItem).min(1).max(100),
});
export const searchProps = z.strictObject({
  query: str(256),
  results_count: count.optional(),
});
export const scrollDepthProps = z.strictObject({
  percent: z.union([z.literal(25), z.literal(50), z.literal(75), z.literal(90), z.literal(100)]),
});
const ms = z.number().int().nonnegative().max(86_400_000);
export const engagementProps = z.strictObject({ active_ms: ms, visible_ms: ms });
export const formSubmitProps = z.strictObject({ form_id: str(128) });
export const clickProps = z.strictObject({
  selector: z.string().max(512).optional(),
  text: z.string().max(256).optional(),
  href: z.string().max(2048).optional(),
});
const customValue = z.union([z.string().max(1024), z.number().finite(), z.boolean()]);
export const customProps = z.strictObject({
  name: str(128),
  properties: z
    .record(z.string().min(1).max(128), customValue)
    .refine((r) => Object.keys(r).length <= 50, "at most 50 properties")
    .optional(),
});

/** props schema for every event type, in one table. */
export const propsByType = {
  page_view: pageViewProps,
  product_view: productViewProps,
  product_click: productClickProps,
  add_to_cart: addToCartProps,
  remove_from_cart: removeFromCartProps,
  purchase: purchaseProps,
  search: searchProps,
  scroll_depth: scrollDepthProps,
  engagement: engagementProps,
  form_submit: formSubmitProps,
  click: clickProps,
  custom: customProps,
} as const;

export type EventType = keyof typeof propsByType;
export const EVENT_TYPES = Object.keys(propsByType) as EventType[];

/** Client-made event id: 1-64 url-safe characters (ULID, UUID, nanoid all fit). */
export const eventId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "expected 1-64 characters of A-Z a-z 0-9 _ . : -");
export const isoTime = z.iso.datetime({ offset: true });

const eventOf = <T extends EventType>(type: T) =>
  z.strictObject({ id: eventId, type: z.literal(type), ts: isoTime, props: propsByType[type] });

export const eventSchema = z.discriminatedUnion("type", [
  eventOf("page_view"),
  eventOf("product_view"),
  eventOf("product_click"),
  eventOf("add_to_cart"),
  eventOf("remove_from_cart"),
  eventOf("purchase"),
  eventOf("search"),
  eventOf("scroll_depth"),
  eventOf("engagement"),
  eventOf("form_submit"),
  eventOf("click"),
  eventOf("custom"),
]);
export type CollectEvent = z.infer<typeof eventSchema>;
export type PropsOf<T extends EventType> = z.infer<(typeof propsByType)[T]>;
