/**
 * The few browser globals the snippet's core touches, for unit tests in Node: localStorage,
 * window events, document (hidden, title, referrer), location, navigator (onLine, sendBeacon),
 * screen and fetch. The real thing is exercised in Chromium by e2e/.
 */
import { vi } from "vitest";

export class MemoryStorage {
  private m = new Map<string, string>();
  broken = false;
  get length() {
    return this.m.size;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  getItem(k: string) {
    if (this.broken) throw new DOMException("blocked", "SecurityError");
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    if (this.broken) throw new DOMException("blocked", "SecurityError");
    this.m.set(k, String(v));
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  clear() {
    this.m.clear();
  }
}

export interface Sent {
  via: "fetch" | "beacon";
  url: string;
  body: string;
  json: { site: string; anonymous_id: string; user_id?: string; session_id?: string; consent?: string; sent_at: string; context?: Record<string, unknown>; events: { id: string; type: string; ts: string; props: Record<string, unknown> }[] };
}

export function browserEnv(opts: { storage?: MemoryStorage } = {}) {
  const win = new EventTarget();
  const doc = Object.assign(new EventTarget(), { hidden: false, visibilityState: "visible", title: "Blue shoe", referrer: "https://www.google.com/" });
  const storage = opts.storage ?? new MemoryStorage();
  const sent: Sent[] = [];
  let status = 202;
  let networkDown = false;
  let beaconOk = true;
  const nav = {
    onLine: true,
    language: "en-GB",
    doNotTrack: null as string | null,
    globalPrivacyControl: false,
    sendBeacon: vi.fn((url: string, body: string) => {
      if (!beaconOk) return false;
      sent.push({ via: "beacon", url, body, json: JSON.parse(body) });
      return true;
    }),
  };
  const fetchFn = vi.fn(async (url: string, init: RequestInit) => {
    if (networkDown || !nav.onLine) throw new TypeError("Failed to fetch");
    const body = init.body as string;
    sent.push({ via: "fetch", url, body, json: JSON.parse(body) });
    return new Response(JSON.stringify({ accepted: 1, duplicates: 0, rejected: [] }), { status });
  });
  vi.stubGlobal("localStorage", storage);
  vi.stubGlobal("addEventListener", win.addEventListener.bind(win));
  vi.stubGlobal("document", doc);
  vi.stubGlobal("location", new URL("https://shop.example/p/sku-1?utm_source=news"));
  vi.stubGlobal("navigator", nav);
  vi.stubGlobal("screen", { width: 1440, height: 900 });
  vi.stubGlobal("fetch", fetchFn);
  return {
    storage,
    sent,
    nav,
    fetch: fetchFn,
    doc,
    /** Events of all requests, in order. */
    events: () => sent.flatMap((s) => s.json.events),
    setStatus: (s: number) => void (status = s),
    setNetworkDown: (d: boolean) => void (networkDown = d),
    setBeaconOk: (ok: boolean) => void (beaconOk = ok),
    goOffline: () => {
      nav.onLine = false;
      win.dispatchEvent(new Event("offline"));
    },
    goOnline: () => {
      nav.onLine = true;
      win.dispatchEvent(new Event("online"));
    },
    hide: () => {
      doc.hidden = true;
      doc.visibilityState = "hidden";
      doc.dispatchEvent(new Event("visibilitychange"));
    },
    pagehide: () => win.dispatchEvent(new Event("pagehide")),
  };
}
