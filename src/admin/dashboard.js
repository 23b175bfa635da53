// trackstrip dashboard: polls /api/summary and renders it. Text goes in with textContent,
// never innerHTML: page addresses and tracker names come from the web.
"use strict";

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function render(s) {
  document.getElementById("version").textContent = s.rules_version;
  document.getElementById("mode").textContent = s.mode === "report" ? "report-only" : "enforce";
  for (const k of ["pages", "pages_with_trackers", "trackers_stripped", "requests_blocked"]) {
    document.getElementById(k).textContent = s.totals[k];
  }
  const owners = document.getElementById("owners");
  owners.replaceChildren();
  for (const o of s.top_owners) {
    const tr = owners.insertRow();
    cell(tr, o.owner);
    cell(tr, o.count);
  }
  const recent = document.getElementById("recent");
  recent.replaceChildren();
  for (const e of s.recent) {
    const tr = recent.insertRow();
    tr.className = "entry " + e.kind;
    cell(tr, new Date(e.time * 1000).toLocaleTimeString());
    const url = cell(tr, (e.kind === "block" ? "blocked request " : "") + e.url, "url");
    if (!e.enforced) url.classList.add("report");
    const what = e.removed.map(r => r.what + (r.count > 1 ? " ×" + r.count : "") + (r.owner ? " (" + r.owner + ")" : "") + (r.rule ? " — " + r.rule : ""));
    cell(tr, (e.enforced ? "" : "would remove: ") + what.join("; "), "removed");
  }
  document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
}

async function poll() {
  try {
    const r = await fetch("/api/summary", { cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
  } catch (e) {
    document.getElementById("status").textContent = "cannot reach trackstrip: " + e.message;
  }
}

poll();
setInterval(poll, 2000);
