/**
 * Allowed props per event type, as space-separated lists (small when minified). The server
 * schema is strict (unknown keys are rejected), so props are filtered through this table.
 * The compiler checks that every listed key exists on that type's props; test/keys.unit.test.ts
 * checks the other direction (no schema key missing) against schemas/events.ts.
 */
import type { ClientEventType, PropsOf } from "../../schemas";

/** What the snippet sends: identify is carried by the envelope's user_id instead. */
export type SnippetEventType = Exclude<ClientEventType, "identify">;

export const KEYS = {
  page_view: "url title path",
  product_view: "product_id category brand price currency",
  product_click: "product_id category position list",
  add_to_cart: "product_id quantity price currency",
  remove_from_cart: "product_id quantity",
  purchase: "order_id revenue currency items",
  search: "query results_count",
  scroll_depth: "percent",
  engagement: "active_ms visible_ms",
  form_submit: "form_id",
  click: "selector text href",
  custom: "name properties",
} as const satisfies Record<SnippetEventType, string>;

/** Props that are numbers on the wire; data attributes are strings and are converted. */
export const NUMERIC = /^(position|price|quantity|revenue|results_count)$/;

type Split<S extends string> = S extends `${infer A} ${infer B}` ? A | Split<B> : S;
type Unknown = { [T in SnippetEventType]: Exclude<Split<(typeof KEYS)[T]>, keyof PropsOf<T>> }[SnippetEventType];
type MustBeNever<T extends never> = T;
/** Does not compile when KEYS lists a key that the schema does not have. */
export type KeysCheck = MustBeNever<Unknown>;
