/** GET /admin: the operations dashboard (a static page; its data needs the admin token). */
import { Hono } from "hono";
import { DASHBOARD_HTML } from "../dashboard/page";

export const dashboard = new Hono<{ Bindings: Env }>();

dashboard.get("/", (c) => {
  c.header("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Cache-Control", "no-store");
  return c.html(DASHBOARD_HTML);
});
