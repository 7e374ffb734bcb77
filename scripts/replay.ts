/**
 * `npm run replay -- <prefix>`: puts the dead letters under a deadletter/ prefix back on the
 * events queue of a running collector (POST /v1/admin/lake/replay), as many calls as it takes.
 * Each object is replayed once (a marker under replayed/ remembers it); see worker/lake/replay.ts.
 *
 *   npm run replay -- deadletter/queue=collector-events-dlq/dt=2026-11-30/
 *   COLLECTOR_URL=https://collector.example ADMIN_TOKEN=... npm run replay -- deadletter/
 */
export interface ReplayTotals {
  objects: number;
  messages: number;
  events: number;
  already_replayed: number;
  skipped: { key: string; message_id: string | null; reason: string }[];
}

export async function replay(url: string, token: string, prefix: string): Promise<ReplayTotals> {
  const totals: ReplayTotals = { objects: 0, messages: 0, events: 0, already_replayed: 0, skipped: [] };
  for (;;) {
    const res = await fetch(`${url}/v1/admin/lake/replay`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ prefix }) });
    const body = (await res.json()) as ReplayTotals & { truncated?: boolean; error?: string; details?: unknown };
    if (!res.ok) throw new Error(`replay: ${res.status} ${JSON.stringify(body)}`);
    totals.objects += body.objects;
    totals.messages += body.messages;
    totals.events += body.events;
    totals.already_replayed = body.already_replayed;
    totals.skipped.push(...body.skipped);
    if (!body.truncated) return totals;
  }
}

if (process.env.REPLAY_CLI) {
  const prefix = process.argv.slice(2).find((a) => a !== "-" && a !== "--");
  if (!prefix) {
    console.error("usage: npm run replay -- <prefix under deadletter/>   (COLLECTOR_URL, ADMIN_TOKEN)");
    process.exit(2);
  }
  replay(process.env.COLLECTOR_URL ?? "http://127.0.0.1:8787", process.env.ADMIN_TOKEN ?? "dev-admin-token", prefix).then(
    (t) => console.log(JSON.stringify(t, null, 2)),
    (e) => {
      console.error(String(e));
      process.exit(1);
    },
  );
}
