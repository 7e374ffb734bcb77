/** What the Segment-compatible mapping (segment.ts) knows by name: the e-commerce spec's events and the message fields it reads. */
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

/** Message fields that are read, or known and deliberately not stored (never reported). */
export const KNOWN_FIELDS = new Set([
  "type", "messageId", "anonymousId", "userId", "event", "properties", "traits", "context", "timestamp",
  "originalTimestamp", "sentAt", "name", "category", "previousId", "groupId",
  "integrations", "receivedAt", "version", "channel", "_metadata", "writeKey", "options",
]);
