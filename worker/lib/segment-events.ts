/**
 * What a Segment (or RudderStack) message says happened -> the collector's event type and props.
 * Segment's e-commerce spec events get the collector's types; everything else becomes `custom`
 * with flattened properties. Pure. Every field read is recorded in `paths` (collector path ->
 * Segment path) and every property left over in `ignored`, as lib/segment.ts explains.
 */
import type { EventType } from "../../schemas";

/** Segment's e-commerce spec (v2 names, and the v1 names still sent by old clients). */
export const ECOMMERCE_EVENTS: Readonly<Record<string, EventType>> = {
  "Product Viewed": "product_view",
  "Viewed Product": "product_view",
  "Product Clicked": "product_click",
  "Clicked Product": "product_click",
  "Product Added": "add_to_cart",
  "Added Product": "add_to_cart",
  "Product Removed": "remove_from_cart",
  "Removed Product": "remove_from_cart",
  "Order Completed": "purchase",
  "Completed Order": "purchase",
  "Products Searched": "search",
  "Searched Products": "search",
};

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
export const idString = (v: unknown): unknown => (typeof v === "number" && Number.isFinite(v) ? String(v) : v);
const numeric = (v: unknown): unknown => (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v);
const upper = (v: unknown): unknown => (typeof v === "string" ? v.trim().toUpperCase() : v);
const same = (v: unknown): unknown => v;

/** Collects the props of one event, remembering where each came from and what was left over. */
class Props {
  readonly out: Obj = {};
  readonly used = new Set<string>();
  constructor(
    private readonly src: Obj,
    private readonly srcPath: string,
    private readonly destPath: string,
    private readonly paths: Record<string, string>,
  ) {}
  /** First present source key wins; all candidate keys count as read only when used. */
  take(dest: string, keys: readonly string[], conv: (v: unknown) => unknown = same, dflt?: unknown): void {
    this.paths[`${this.destPath}.${dest}`] = `${this.srcPath}.${keys[0]}`; // where a missing field is expected
    for (const k of keys) {
      const v = this.src[k];
      if (v === undefined || v === null) continue;
      this.out[dest] = conv(v);
      this.used.add(k);
      this.paths[`${this.destPath}.${dest}`] = `${this.srcPath}.${k}`;
      return;
    }
    if (dflt !== undefined) this.out[dest] = dflt;
  }
  leftovers(ignored: string[]): void {
    for (const k of Object.keys(this.src)) if (!this.used.has(k)) ignored.push(`${this.srcPath}.${k}`);
  }
}

/**
 * Nested properties become dotted keys (address.city); arrays and objects deeper than three
 * levels become JSON strings; null is not stored (and is reported).
 */
export function flatten(src: Obj, srcPath: string, out: Obj, ignored: string[], prefix = "", depth = 0): void {
  for (const [k, v] of Object.entries(src)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === null || v === undefined) ignored.push(`${srcPath}.${key}`);
    else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[key] = v;
    else if (isObj(v) && depth < 3) flatten(v, srcPath, out, ignored, key, depth + 1);
    else out[key] = JSON.stringify(v);
  }
}

/** `custom` props: the name, and flattened properties plus extras (whose own source paths are given). */
export function customProps(name: unknown, nameFrom: string, src: Obj | undefined, srcPath: string, extra: Record<string, [unknown, string]>, paths: Record<string, string>, ignored: string[]) {
  const properties: Obj = {};
  for (const [k, [v, from]] of Object.entries(extra)) {
    properties[k] = v;
    paths[`props.properties.${k}`] = from;
  }
  if (src) flatten(src, srcPath, properties, ignored);
  paths["props.name"] = nameFrom;
  paths["props.properties"] = srcPath;
  return Object.keys(properties).length ? { name, properties } : { name };
}

/** The props of a track event: e-commerce spec events get the collector's types, the rest `custom`. */
export function trackEvent(msg: Obj, paths: Record<string, string>, ignored: string[]): { type: EventType; props: Obj } {
  const name = msg.event;
  const type = typeof name === "string" ? ECOMMERCE_EVENTS[name] : undefined;
  const src = isObj(msg.properties) ? msg.properties : {};
  if (!type) return { type: "custom", props: customProps(name, "event", isObj(msg.properties) ? msg.properties : undefined, "properties", {}, paths, ignored) };
  const p = new Props(src, "properties", "props", paths);
  const product = ["product_id", "sku", "id"];
  switch (type) {
    case "product_view":
      p.take("product_id", product, idString);
      p.take("category", ["category"]);
      p.take("brand", ["brand"]);
      p.take("price", ["price"], numeric);
      p.take("currency", ["currency"], upper);
      break;
    case "product_click":
      p.take("product_id", product, idString);
      p.take("category", ["category"]);
      p.take("position", ["position"], numeric);
      p.take("list", ["list_id", "list"], idString);
      break;
    case "add_to_cart":
      p.take("product_id", product, idString);
      p.take("quantity", ["quantity"], numeric, 1);
      p.take("price", ["price"], numeric);
      p.take("currency", ["currency"], upper);
      break;
    case "remove_from_cart":
      p.take("product_id", product, idString);
      p.take("quantity", ["quantity"], numeric);
      break;
    case "search":
      p.take("query", ["query"]);
      p.take("results_count", ["results_count"], numeric);
      break;
    case "purchase": {
      p.take("order_id", ["order_id", "checkout_id"], idString);
      p.take("revenue", ["revenue", "total", "value"], numeric);
      // Segment: "if currency is not set, the revenue is assumed to be in US dollars".
      p.take("currency", ["currency"], upper, "USD");
      const products = src.products;
      if (Array.isArray(products)) {
        p.used.add("products");
        paths["props.items"] = "properties.products";
        p.out.items = products.map((item, i) => {
          if (!isObj(item)) return item;
          const ip = new Props(item, `properties.products[${i}]`, `props.items[${i}]`, paths);
          ip.take("product_id", product, idString);
          ip.take("quantity", ["quantity"], numeric, 1);
          ip.take("price", ["price"], numeric);
          ip.leftovers(ignored);
          return ip.out;
        });
      } else {
        paths["props.items"] = "properties.products";
      }
      break;
    }
  }
  p.leftovers(ignored);
  return { type, props: p.out };
}

export function pageEvent(msg: Obj, ctxPage: Obj, paths: Record<string, string>, ignored: string[]): Obj {
  const src = isObj(msg.properties) ? msg.properties : {};
  const p = new Props(src, "properties", "props", paths);
  p.take("url", ["url"]);
  p.take("title", ["title"]);
  p.take("path", ["path"]);
  for (const [k, from] of [["url", "url"], ["title", "title"], ["path", "path"]] as const) {
    if (p.out[k] === undefined && ctxPage[from] !== undefined) {
      p.out[k] = ctxPage[from];
      paths[`props.${k}`] = `context.page.${from}`;
    }
  }
  p.used.add("referrer"); // goes to the envelope's context
  p.used.add("search"); // part of url
  p.leftovers(ignored);
  for (const k of ["name", "category"]) if (msg[k] !== undefined) ignored.push(k);
  return p.out;
}
