/**
 * The operations dashboard served at GET /admin: one static page, no framework, inline SVG
 * charts. The operator types the admin token; it is kept in sessionStorage (this tab only) and
 * sent as a Bearer header to /v1/admin/stats/:site (polled) and /v1/admin/tail/:site (SSE read
 * with fetch, so the token never goes into a URL).
 */
export const DASHBOARD_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edge-collector · operations</title>
<style>
  :root { --bg:#0f1419; --panel:#182029; --line:#2a3441; --text:#e6edf3; --muted:#8b98a5; --ok:#3fb950; --warn:#d29922; --bad:#f85149; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; gap:12px; align-items:center; padding:10px 16px; border-bottom:1px solid var(--line); flex-wrap:wrap; }
  header h1 { font-size:16px; margin:0 12px 0 0; font-weight:600; }
  select, input, button { font:inherit; background:var(--panel); color:var(--text); border:1px solid var(--line); border-radius:6px; padding:5px 8px; }
  button { cursor:pointer; }
  main { padding:16px; display:grid; gap:16px; grid-template-columns: repeat(12, 1fr); }
  .panel { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
  .panel h2 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:0 0 8px; font-weight:600; }
  .cards { grid-column: 1 / -1; display:grid; gap:12px; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
  .card .v { font-size:21px; font-weight:600; font-variant-numeric: tabular-nums; }
  .card .l { color:var(--muted); font-size:12px; }
  .w6 { grid-column: span 6; } .w4 { grid-column: span 4; } .w8 { grid-column: span 8; } .w12 { grid-column: 1 / -1; }
  @media (max-width: 900px) { .w6, .w4, .w8 { grid-column: 1 / -1; } }
  svg { width:100%; height:auto; display:block; }
  .legend { display:flex; flex-wrap:wrap; gap:10px; margin-top:6px; font-size:12px; color:var(--muted); }
  .legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:-1px; }
  table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align:left; padding:3px 6px; border-bottom:1px solid var(--line); white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:220px; }
  th { color:var(--muted); font-weight:500; font-size:12px; }
  td.n { text-align:right; }
  .badge { display:inline-block; padding:2px 8px; border-radius:10px; font-weight:600; font-size:12px; }
  .ok { background:rgba(63,185,80,.15); color:var(--ok); } .idle { background:rgba(139,152,165,.15); color:var(--muted); }
  .degraded { background:rgba(210,153,34,.15); color:var(--warn); } .failing { background:rgba(248,81,73,.15); color:var(--bad); }
  #login { max-width:420px; margin:12vh auto; }
  #login form { display:flex; gap:8px; } #login input { flex:1; }
  .err { color:var(--bad); min-height:1.4em; margin-top:8px; }
  .muted { color:var(--muted); font-size:12px; }
  #tail tbody tr:first-child td { animation: flash 1s ease-out; }
  @keyframes flash { from { background: rgba(88,166,255,.25); } to { background: transparent; } }
</style>
</head>
<body>
<div id="login" class="panel" hidden>
  <h2>edge-collector · operations</h2>
  <p class="muted">Admin token (kept in this tab only, sent as a Bearer header).</p>
  <form id="login-form"><input id="token" type="password" autocomplete="off" placeholder="admin token" aria-label="admin token"><button type="submit">Open</button></form>
  <div class="err" id="login-error"></div>
</div>
<div id="app" hidden>
  <header>
    <h1>edge-collector · operations</h1>
    <label>site <select id="site" aria-label="site"></select></label>
    <label>window <select id="window" aria-label="window">
      <option value="15">15 min</option><option value="60" selected>1 hour</option><option value="360">6 hours</option><option value="1440">24 hours</option>
    </select></label>
    <span class="muted" id="updated">…</span>
    <span style="flex:1"></span>
    <button id="logout" type="button">Forget token</button>
  </header>
  <main>
    <div class="cards">
      <div class="panel card"><div class="l">accepted events</div><div class="v" id="m-accepted">–</div></div>
      <div class="panel card"><div class="l">duplicates dropped</div><div class="v" id="m-duplicates">–</div></div>
      <div class="panel card"><div class="l">rejected</div><div class="v" id="m-rejected">–</div></div>
      <div class="panel card"><div class="l">ingest requests</div><div class="v" id="m-requests">–</div></div>
      <div class="panel card"><div class="l">bytes in</div><div class="v" id="m-bytes">–</div></div>
      <div class="panel card"><div class="l">ingest latency p50 / p99</div><div class="v" id="m-ingest">–</div></div>
      <div class="panel card"><div class="l">flush lag p50 / p99</div><div class="v" id="m-flush">–</div></div>
      <div class="panel card"><div class="l">lake lag p50 / p99</div><div class="v" id="m-lake">–</div></div>
      <div class="panel card"><div class="l">events in the lake</div><div class="v" id="m-lake-events">–</div></div>
      <div class="panel card"><div class="l">dead-lettered messages</div><div class="v" id="m-deadletter">–</div></div>
    </div>
    <section class="panel w8"><h2>Events per minute, by type</h2><div id="c-accepted"></div></section>
    <section class="panel w4"><h2>Accepted by type</h2><table id="t-accepted"><tbody></tbody></table></section>
    <section class="panel w8"><h2>Rejections per minute, by reason</h2><div id="c-rejected"></div></section>
    <section class="panel w4"><h2>Rejected by reason</h2><table id="t-rejected"><tbody></tbody></table></section>
    <section class="panel w6"><h2>Ingest latency per minute (ms)</h2><div id="c-ingest"></div></section>
    <section class="panel w6"><h2>Flush and lake lag per minute (ms)</h2><div id="c-lag"></div></section>
    <section class="panel w4"><h2>Queue health</h2><div id="queue"></div></section>
    <section class="panel w8"><h2>Live tail <span class="muted" id="tail-state"></span></h2>
      <div style="max-height:360px; overflow:auto"><table id="tail"><thead><tr><th>received</th><th>type</th><th>user</th><th>path</th><th>country</th><th>device</th></tr></thead><tbody></tbody></table></div>
    </section>
  </main>
</div>
<script>
(function () {
  "use strict";
  var KEY = "collector-admin-token";
  var COLORS = ["#58a6ff","#3fb950","#d29922","#f778ba","#a371f7","#ff7b72","#79c0ff","#56d364","#e3b341","#ffa198","#d2a8ff","#8b949e"];
  var colorOf = {};
  function color(k) { if (!colorOf[k]) colorOf[k] = COLORS[Object.keys(colorOf).length % COLORS.length]; return colorOf[k]; }
  var $ = function (id) { return document.getElementById(id); };
  var token = sessionStorage.getItem(KEY);
  var pollTimer = null, tailAbort = null;
  var REFRESH_MS = Number(new URLSearchParams(location.search).get("refresh") || 5000);

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function fmt(n) { return n == null ? "–" : Number(n).toLocaleString("en-US"); }
  function ms(v) { return v == null ? "–" : v >= 10000 ? (v / 1000).toFixed(1) + " s" : Math.round(v) + " ms"; }
  function bytes(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : n >= 1024 ? (n / 1024).toFixed(1) + " KB" : n + " B"; }

  function api(path, init) {
    init = init || {};
    init.headers = Object.assign({ authorization: "Bearer " + token }, init.headers || {});
    return fetch(path, init).then(function (res) {
      if (res.status === 401) { logout("The token was refused."); throw new Error("unauthorized"); }
      return res;
    });
  }

  function showLogin(msg) { $("app").hidden = true; $("login").hidden = false; $("login-error").textContent = msg || ""; $("token").focus(); }
  function logout(msg) {
    sessionStorage.removeItem(KEY); token = null;
    if (pollTimer) clearTimeout(pollTimer);
    if (tailAbort) tailAbort.abort();
    showLogin(msg);
  }
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    token = $("token").value.trim();
    if (!token) return;
    $("token").value = "";
    sessionStorage.setItem(KEY, token);
    start();
  });
  $("logout").addEventListener("click", function () { logout(""); });
  $("site").addEventListener("change", function () { refresh(); startTail(); });
  $("window").addEventListener("change", refresh);

  function start() {
    api("/v1/admin/stats").then(function (r) { return r.json(); }).then(function (info) {
      var sel = $("site"); sel.innerHTML = "";
      info.sites.concat([info.unattributed]).forEach(function (s) {
        var o = document.createElement("option"); o.value = s; o.textContent = s === info.unattributed ? s + " (no site)" : s; sel.appendChild(o);
      });
      var want = new URLSearchParams(location.search).get("site");
      if (want && info.sites.indexOf(want) >= 0) sel.value = want;
      $("login").hidden = true; $("app").hidden = false;
      refresh(); startTail();
    }).catch(function (e) { if (e.message !== "unauthorized") showLogin("Could not reach the collector: " + e.message); });
  }

  function refresh() {
    if (pollTimer) clearTimeout(pollTimer);
    var site = $("site").value, minutes = $("window").value;
    api("/v1/admin/stats/" + encodeURIComponent(site) + "?minutes=" + minutes).then(function (r) { return r.json(); }).then(function (s) {
      render(s);
      $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    }).catch(function (e) { $("updated").textContent = "update failed: " + e.message; })
      .then(function () { if (token) pollTimer = setTimeout(refresh, REFRESH_MS); });
  }

  function render(s) {
    var t = s.totals;
    $("m-accepted").textContent = fmt(t.accepted_total);
    $("m-duplicates").textContent = fmt(t.duplicates);
    $("m-rejected").textContent = fmt(t.rejected_total);
    $("m-requests").textContent = fmt(t.requests);
    $("m-bytes").textContent = bytes(t.bytes_in);
    $("m-ingest").textContent = ms(t.ingest_ms.p50) + " / " + ms(t.ingest_ms.p99);
    $("m-flush").textContent = ms(t.flush_lag_ms.p50) + " / " + ms(t.flush_lag_ms.p99);
    $("m-lake").textContent = ms(t.lake_lag_ms.p50) + " / " + ms(t.lake_lag_ms.p99);
    $("m-lake-events").textContent = fmt(t.lake_events);
    $("m-deadletter").textContent = fmt(t.deadletter_messages);
    table("t-accepted", t.accepted, "accepted");
    table("t-rejected", t.rejected, "rejected");
    var mins = minutesOf(s);
    stacked("c-accepted", mins, s.series, "accepted");
    stacked("c-rejected", mins, s.series, "rejected");
    lines("c-ingest", mins, s.series, [["ingest p50", "ingest_ms", "p50"], ["ingest p99", "ingest_ms", "p99"]]);
    lines("c-lag", mins, s.series, [["flush p50", "flush_lag_ms", "p50"], ["flush p99", "flush_lag_ms", "p99"], ["lake p50", "lake_lag_ms", "p50"], ["lake p99", "lake_lag_ms", "p99"]]);
    var q = s.queue;
    $("queue").innerHTML =
      '<p><span class="badge ' + esc(q.health) + '" id="queue-health">' + esc(q.health) + '</span> <span class="muted">' + esc(q.reason) + "</span></p>" +
      "<table><tbody>" +
      "<tr><td>last consumer batch</td><td class=n>" + (q.last_batch_minute ? new Date(q.last_batch_minute).toLocaleTimeString() : "none") + "</td></tr>" +
      "<tr><td>consumer batches</td><td class=n>" + fmt(t.consumer_batches) + "</td></tr>" +
      "<tr><td>queue messages</td><td class=n>" + fmt(t.queue_messages) + "</td></tr>" +
      "<tr><td>lake objects written</td><td class=n>" + fmt(t.lake_objects) + "</td></tr>" +
      "<tr><td>retries (15 min)</td><td class=n>" + fmt(q.retries_15m) + "</td></tr>" +
      "<tr><td>dead-lettered (15 min)</td><td class=n>" + fmt(q.dead_lettered_15m) + "</td></tr>" +
      "<tr><td>dead-lettered batches</td><td class=n>" + fmt(t.deadletter_batches) + "</td></tr>" +
      "<tr><td>lake lag p99 (15 min)</td><td class=n>" + ms(q.lake_lag_p99_ms_15m) + "</td></tr>" +
      "</tbody></table>";
  }

  function table(id, obj, kind) {
    var keys = Object.keys(obj).sort(function (a, b) { return obj[b] - obj[a]; });
    $(id).querySelector("tbody").innerHTML = keys.length ? keys.map(function (k) {
      return '<tr data-' + kind + '="' + esc(k) + '"><td><i style="display:inline-block;width:10px;height:10px;border-radius:2px;background:' + color(k) + '"></i> ' + esc(k) + '</td><td class="n">' + fmt(obj[k]) + "</td></tr>";
    }).join("") : '<tr><td class="muted">none</td></tr>';
  }

  function minutesOf(s) {
    var out = [], from = Date.parse(s.from), to = Date.parse(s.to);
    for (var t = from; t < to; t += 60000) out.push(new Date(t).toISOString());
    return out;
  }

  var W = 640, H = 170, PAD = 34;
  function axis(max, mins) {
    var g = "";
    for (var i = 0; i <= 2; i++) {
      var y = H - 18 - (H - 28) * i / 2, v = max * i / 2;
      g += '<line x1="' + PAD + '" x2="' + W + '" y1="' + y + '" y2="' + y + '" stroke="#2a3441"/>';
      g += '<text x="' + (PAD - 4) + '" y="' + (y + 4) + '" fill="#8b98a5" font-size="10" text-anchor="end">' + (v >= 1000 ? Math.round(v / 100) / 10 + "k" : Math.round(v * 10) / 10) + "</text>";
    }
    var lab = function (i) { var d = new Date(mins[i]); return d.getHours().toString().padStart(2, "0") + ":" + d.getMinutes().toString().padStart(2, "0"); };
    g += '<text x="' + PAD + '" y="' + (H - 4) + '" fill="#8b98a5" font-size="10">' + lab(0) + "</text>";
    g += '<text x="' + W + '" y="' + (H - 4) + '" fill="#8b98a5" font-size="10" text-anchor="end">' + lab(mins.length - 1) + "</text>";
    return g;
  }
  function legend(keys) { return '<div class="legend">' + keys.map(function (k) { return "<span><i style=\\"background:" + color(k) + "\\"></i>" + esc(k) + "</span>"; }).join("") + "</div>"; }

  function stacked(id, mins, series, field) {
    var by = {}; series.forEach(function (r) { by[r.minute] = r[field]; });
    var keys = {}; series.forEach(function (r) { Object.keys(r[field]).forEach(function (k) { keys[k] = 1; }); });
    keys = Object.keys(keys).sort();
    var max = 1; mins.forEach(function (m) { var v = by[m] || {}, s = 0; keys.forEach(function (k) { s += v[k] || 0; }); if (s > max) max = s; });
    var bw = (W - PAD) / mins.length, svg = axis(max, mins);
    mins.forEach(function (m, i) {
      var v = by[m] || {}, y = H - 18;
      keys.forEach(function (k) {
        var n = v[k] || 0; if (!n) return;
        var h = (H - 28) * n / max; y -= h;
        svg += '<rect x="' + (PAD + i * bw + 0.5) + '" y="' + y + '" width="' + Math.max(1, bw - 1) + '" height="' + h + '" fill="' + color(k) + '"><title>' + esc(new Date(m).toLocaleTimeString() + " " + k + ": " + n) + "</title></rect>";
      });
    });
    $(id).innerHTML = '<svg viewBox="0 0 ' + W + " " + H + '" role="img">' + svg + "</svg>" + (keys.length ? legend(keys) : '<div class="legend">no data in this window</div>');
  }

  function lines(id, mins, series, specs) {
    var by = {}; series.forEach(function (r) { by[r.minute] = r; });
    var max = 1; mins.forEach(function (m) { specs.forEach(function (s) { var r = by[m]; var v = r && r[s[1]][s[2]]; if (v != null && v > max) max = v; }); });
    var step = (W - PAD) / Math.max(1, mins.length - 1), svg = axis(max, mins);
    specs.forEach(function (s) {
      var pts = [];
      mins.forEach(function (m, i) { var r = by[m]; var v = r && r[s[1]][s[2]]; if (v != null) pts.push((PAD + i * step).toFixed(1) + "," + (H - 18 - (H - 28) * v / max).toFixed(1)); });
      if (pts.length === 1) svg += '<circle cx="' + pts[0].split(",")[0] + '" cy="' + pts[0].split(",")[1] + '" r="3" fill="' + color(s[0]) + '"/>';
      if (pts.length > 1) svg += '<polyline fill="none" stroke-width="1.5" stroke="' + color(s[0]) + '" points="' + pts.join(" ") + '"/>';
    });
    $(id).innerHTML = '<svg viewBox="0 0 ' + W + " " + H + '" role="img">' + svg + "</svg>" + legend(specs.map(function (s) { return s[0]; }));
  }

  // Live tail: Server-Sent Events read with fetch (EventSource cannot send the token).
  var tailRows = [];
  function startTail() {
    if (tailAbort) tailAbort.abort();
    var ctl = new AbortController(); tailAbort = ctl;
    tailRows = []; drawTail();
    var site = $("site").value;
    if (site.charAt(0) === "_") { $("tail-state").textContent = "(no tail for requests without a site)"; return; }
    $("tail-state").textContent = "connecting…";
    api("/v1/admin/tail/" + encodeURIComponent(site), { signal: ctl.signal, headers: { accept: "text/event-stream" } }).then(function (res) {
      if (!res.ok || !res.body) throw new Error("HTTP " + res.status);
      $("tail-state").textContent = "● live";
      var reader = res.body.getReader(), dec = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) throw new Error("stream ended");
          buf += dec.decode(r.value, { stream: true });
          var i;
          while ((i = buf.indexOf("\\n\\n")) >= 0) {
            var block = buf.slice(0, i); buf = buf.slice(i + 2);
            var data = block.split("\\n").filter(function (l) { return l.indexOf("data:") === 0; }).map(function (l) { return l.slice(5).trim(); }).join("\\n");
            if (data) { try { JSON.parse(data).forEach(function (e) { tailRows.unshift(e); }); tailRows = tailRows.slice(0, 50); drawTail(); } catch (e) {} }
          }
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      if (ctl.signal.aborted || !token) return;
      $("tail-state").textContent = "reconnecting (" + e.message + ")";
      setTimeout(function () { if (tailAbort === ctl) startTail(); }, 2000);
    });
  }
  function drawTail() {
    $("tail").querySelector("tbody").innerHTML = tailRows.length ? tailRows.map(function (e) {
      return "<tr data-id=\\"" + esc(e.id) + "\\"><td>" + esc(new Date(e.received_at).toLocaleTimeString()) + "</td><td>" + esc(e.type) + "</td><td>" + esc(e.user) + "</td><td>" + esc(e.path) + "</td><td>" + esc(e.country || "") + "</td><td>" + esc(e.device || "") + (e.bot ? " (bot)" : "") + "</td></tr>";
    }).join("") : '<tr><td class="muted" colspan="6">waiting for events…</td></tr>';
  }

  if (token) start(); else showLogin("");
})();
</script>
</body>
</html>
`;
