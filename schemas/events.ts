/**
 * Event types and their props. Strict: unknown keys are rejected, strings are
 * length-bounded, money is finite and non-negative. Shared by the worker, the
 * snippet's types and the docs (JSON Schema is generated from these).
 */
import { array, boolean, discriminatedUnion, iso, literal, number, record, strictObject, string, union, url, type z } from "zod";

const str = (max: number) => string().min(1).max(max);
const id = str(128);
const money = number().finite().nonnegative().max(1e12);
const currency = string().regex(/^[A-Z]{3}$/, "expected an ISO 4217 code such as EUR");
const count = number().int().nonnegative().max(1_000_000);
const quantity = number().int().positive().max(100_000);

export const pageViewProps = strictObject({
  url: url().max(2048).optional(),
  title: string().max(512).optional(),
  path: string().max(2048).optional(),
});
export const productViewProps = strictObject({
  product_id: id,
  category: str(128).optional(),
  brand: str(128).optional(),
  price: money.optional(),
  currency: currency.optional(),
});
export const productClickProps = strictObject({
  product_id: id,
  category: str(128).optional(),
  position: number().int().nonnegative().max(100_000).optional(),
  list: str(128).optional(),
});
export const addToCartProps = strictObject({
  product_id: id,
  quantity,
  price: money.optional(),
  currency: currency.optional(),
});
export const removeFromCartProps = strictObject({
  product_id: id,
  quantity: quantity.optional(),
});
export const purchaseItem = strictObject({
  product_id: id,
  quantity,
  price: money.optional(),
});
export const purchaseProps = strictObject({
  order_id: id,
  revenue: money,
  currency,
  items: array(purchaseItem).min(1).max(100),
});
export const searchProps = strictObject({
  query: str(256),
  results_count: count.optional(),
});
export const scrollDepthProps = strictObject({
  percent: union([literal(25), literal(50), literal(75), literal(90), literal(100)]),
});
const ms = number().int().nonnegative().max(86_400_000);
export const engagementProps = strictObject({ active_ms: ms, visible_ms: ms });
export const formSubmitProps = strictObject({ form_id: str(128) });
export const clickProps = strictObject({
  selector: string().max(512).optional(),
  text: string().max(256).optional(),
  href: string().max(2048).optional(),
});
const customValue = union([string().max(1024), number().finite(), boolean()]);
export const customProps = strictObject({
  name: str(128),
  properties: record(string().min(1).max(128), customValue)
    .refine((r) => Object.keys(r).length <= 50, "at most 50 properties")
    .meta({ maxProperties: 50 }) // the refine above, for JSON Schema
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
export const eventId = string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "expected 1-64 characters of A-Z a-z 0-9 _ . : -");
export const isoTime = iso.datetime({ offset: true });

const eventOf = <T extends EventType>(type: T) =>
  strictObject({ id: eventId, type: literal(type), ts: isoTime, props: propsByType[type] });

export const eventSchema = discriminatedUnion("type", [
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
