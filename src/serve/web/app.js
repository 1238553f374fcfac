/*
 * app.js - the dashboard of `tollgate serve`: it draws what the API answers
 * (/api/v1/plan, /status, /report?format=json, /why, /log) and redraws when
 * the event stream says the log moved. No rule of the domain is decided
 * here: states, readiness, late marks and gate statuses all come from the
 * engine. Every piece of data reaches the page through textContent, never
 * as markup.
 */
"use strict";

const api = "/api/v1";
const tv = new URLSearchParams(location.search).has("tv");
const model = { plan: null, status: null, report: null, etag: {}, lastSeq: 0, me: null };

/* ---- small helpers --------------------------------------------------------- */

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

async function getJSON(path) {
  const headers = {};
  if (model.etag[path]) headers["If-None-Match"] = model.etag[path].tag;
  const r = await fetch(api + path, { headers, credentials: "same-origin" });
  if (r.status === 304) return model.etag[path].body;
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const msg = body && body.error ? body.error.message : r.statusText;
    throw new Error(`${path}: ${r.status} ${msg}`);
  }
  const tag = r.headers.get("ETag");
  if (tag) model.etag[path] = { tag, body };
  return body;
}

/* A write, as the signed-in person: JSON in and out, the session's CSRF
 * token in its header (the browser adds the Origin). Shows what went wrong. */
async function act(method, path, body) {
  const headers = { "X-CSRF-Token": model.me ? model.me.csrf : "" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(api + path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const j = await r.json().catch(() => null);
  if (!r.ok) {
    notice(`${method} ${path}: ${j && j.error ? j.error.message : r.statusText}`);
    if (r.status === 401) await whoAmI();
    return null;
  }
  notice("");
  refresh();
  return j;
}

function notice(text) {
  const n = document.getElementById("notice");
  n.textContent = text;
  n.hidden = !text;
}

function holds(role) {
  return !!model.me && model.me.roles.includes(role);
}

/* ---- signing in ---------------------------------------------------------------- */

async function whoAmI() {
  const r = await fetch(api + "/session", { credentials: "same-origin" });
  model.me = r.ok ? await r.json() : null;
  showMe();
}

function showMe() {
  const me = model.me;
  document.getElementById("signin").hidden = !!me || tv;
  document.getElementById("signout").hidden = !me || tv;
  const w = document.getElementById("whoami");
  w.hidden = !me;
  w.textContent = me ? `${me.name || me.person} (${me.roles.join(", ")})` : "";
  /* the buttons depend on who is signed in: draw those views again now */
  if (model.report && !tv) { renderGates(); renderChecklist(); renderBlockers(); renderIncidents(); renderRejections(); }
  document.body.dataset.person = me ? me.person : "";
}

async function signIn(ev) {
  ev.preventDefault();
  const input = document.getElementById("signin-token");
  const r = await fetch(api + "/session", { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: input.value.trim() }) });
  const j = await r.json().catch(() => null);
  input.value = "";
  if (!r.ok) { notice("sign in: " + (j && j.error ? j.error.message : r.statusText)); return; }
  notice("");
  model.me = j;
  showMe();
  refresh();
}

async function signOut() {
  await act("DELETE", "/session");
  model.me = null;
  showMe();
  refresh();
}

function when(t) {
  return t ? t.replace("T", " ").replace(/:00Z$/, "Z") : "";
}

function countdown(until, now) {
  const ms = Date.parse(until) - Date.parse(now);
  if (!(ms > 0)) return "soak over";
  const h = Math.floor(ms / 3600e3), m = Math.floor((ms % 3600e3) / 60e3);
  return h ? `${h} h ${m} min left` : `${m} min left`;
}

/* ---- the board --------------------------------------------------------------- */

function marksFor(status, project, env) {
  const marks = [];
  for (const i of status.incidents || [])
    if ((!i.project || i.project === project) && (!i.env || i.env === env))
      marks.push(el("span", { class: "mark incident", title: i.text, text: `incident ${i.id} (level ${i.level})` }));
  for (const b of status.blockers || [])
    if (b.blocks === env && blockerTouches(b, project))
      marks.push(el("span", { class: "mark blocker", title: b.owner || "", text: `blocker ${b.id} ${b.progress}%` }));
  for (const r of status.rejections || [])
    if (r.rejected && r.project === project && (!r.env || r.env === env))
      marks.push(el("span", { class: "mark rejected", title: r.reason || "", text: `${r.version} ${r.kind}` }));
  return marks;
}

function blockerTouches(b, project) {
  const pb = model.blockerById && model.blockerById.get(b.id);
  const pr = model.projectById && model.projectById.get(project);
  if (!pb || !pr || !pb.waves || !pb.waves.length) return true;
  return pb.waves.includes(pr.wave);
}

function renderCell(status, c) {
  const kids = [el("span", { class: "state", text: c.state })];
  if (c.version) kids.push(el("span", { class: "version", text: c.version }));
  if (c.live_version && c.live_version !== c.version)
    kids.push(el("span", { class: "live-version", text: `live ${c.live_version}` }));
  if (c.failed_version) kids.push(el("span", { class: "failed", text: `failed ${c.failed_version}` }));
  if (c.state === "soaking" && c.soak_until)
    kids.push(el("span", { class: "soak", text: countdown(c.soak_until, status.now) }));
  if (c.since) kids.push(el("span", { class: "since", text: `since ${when(c.since)}` }));
  if (c.target) kids.push(el("span", { class: "target" + (c.late ? " late" : c.at_risk ? " at-risk" : ""),
    text: (c.late ? "LATE, target " : c.at_risk ? "AT RISK, target " : "target ") + c.target }));
  kids.push(...marksFor(status, c.project, c.env));
  const ready = model.readyOf && model.readyOf.get(c.project + "\u0000" + c.env);
  if (ready) kids.push(el("span", { class: "mark ready", text: `ready: ${ready}` }));
  const label = `${c.project} in ${c.env}: ${c.state}${c.version ? " " + c.version : ""}${c.late ? ", late" : c.at_risk ? ", at risk" : ""}`;
  return el("td", { class: `cell st-${c.state}` + (c.late ? " is-late" : ""), "data-project": c.project, "data-env": c.env, "data-state": c.state, "data-ready": ready ? "1" : null },
    tv ? el("div", { class: "cell-body" }, kids)
       : el("button", { type: "button", class: "cell-body", "aria-label": label + " (why)", onclick: () => openWhy(c.project, c.env) }, kids));
}

/* The board is drawn once, then on each change only the cells whose data
 * changed are drawn again (a cell's signature: its JSON, its ready mark, and
 * the time for a soak's countdown); the incidents, blockers and rejections
 * that mark cells, or another plan, draw it all again. */
const board = { key: null, cells: new Map() };

function renderBoard() {
  const { plan, status } = model;
  const envs = plan.environments.map((e) => e.name);
  const byCell = new Map(status.cells.map((c) => [c.project + "\u0000" + c.env, c]));
  const readyOf = new Map(((model.next && model.next.ready) || []).map((n) => [n.project + "\u0000" + n.env, n.version]));
  const key = JSON.stringify([model.planTag, status.incidents, status.blockers, status.rejections]);
  const sig = (c, k) => JSON.stringify(c) + "|" + (readyOf.get(k) || "") + "|" + (c.state === "soaking" ? status.now : "");
  model.readyOf = readyOf;
  if (board.key === key) {
    for (const [k, c] of byCell) {
      const old = board.cells.get(k);
      const s = sig(c, k);
      if (!old || old.sig === s) continue;
      const td = renderCell(status, c);
      old.td.replaceWith(td);
      board.cells.set(k, { td, sig: s });
    }
  } else {
    const root = clear(document.getElementById("board"));
    board.key = key;
    board.cells.clear();
    const envTitle = new Map(plan.environments.map((e) => [e.name, e.title || e.name]));
    const byWave = new Map(plan.waves.map((w) => [w.id, []]));
    for (const p of plan.projects) (byWave.get(p.wave) || []).push(p);
    model.projectById = new Map(plan.projects.map((p) => [p.id, p]));
    model.blockerById = new Map(plan.blockers.map((b) => [b.id, b]));
    for (const w of plan.waves) {
      const projects = byWave.get(w.id);
      if (!projects.length) continue;
      const win = w.window_from ? ` (${w.window_from} – ${w.window_to})` : "";
      const head = el("tr", {}, el("th", { scope: "col", text: "Project" }), el("th", { scope: "col", text: "Owner" }),
        envs.map((e) => el("th", { scope: "col", text: envTitle.get(e) })));
      const rows = projects.map((p) => el("tr", { "data-project": p.id },
        el("th", { scope: "row", text: p.id }), el("td", { class: "owner", text: p.owner || "" }),
        envs.map((e) => {
          const k = p.id + "\u0000" + e, c = byCell.get(k);
          if (!c) return el("td", { class: "cell" });
          const td = renderCell(status, c);
          board.cells.set(k, { td, sig: sig(c, k) });
          return td;
        })));
      root.append(el("table", { class: "wave", "data-wave": w.id },
        el("caption", {}, el("strong", { text: w.title || w.id }), win), el("thead", {}, head), el("tbody", {}, rows)));
    }
  }
  let done = 0;
  for (const c of status.cells) if (c.state === "healthy") done++;
  document.getElementById("summary").textContent =
    `${done} of ${status.cells.length} cells healthy · ${status.complete ? "release complete" : status.incomplete || ""}` +
    (status.rehearsal ? " · REHEARSAL store" : "");
}

/* ---- the why panel ----------------------------------------------------------- */

let whySeq = 0; /* the latest why asked for: an older answer arriving later is dropped */
async function openWhy(project, env) {
  const panel = document.getElementById("why");
  const seq = ++whySeq;
  document.getElementById("why-title").textContent = `Why: ${project} → ${env}`;
  panel.hidden = false;
  panel.dataset.project = project;
  panel.dataset.env = env;
  const parts = [];
  try {
    const w = await getJSON(`/why/${encodeURIComponent(project)}/${encodeURIComponent(env)}`);
    parts.push(el("p", { class: w.ready ? "ready" : "not-ready", text: w.ready ? `ready: ${w.version || ""}` : "not ready" }));
    parts.push(el("ul", { class: "rules" }, w.rules.map((r) =>
      el("li", { class: r.ok ? "ok" : "not-ok", "data-rule": r.rule },
        el("span", { class: "verdict", text: r.ok ? "ok" : "not ok" }), " ", el("strong", { text: r.rule }), ": ", r.detail))));
    if (w.fixes && w.fixes.length)
      parts.push(el("h3", { text: "What would fix it" }), el("ul", { class: "fixes" }, w.fixes.map((f) => fixLine(w, f))));
  } catch (err) {
    parts.push(el("p", { class: "error", text: err.message }));
  }
  if (seq !== whySeq) return;
  clear(document.getElementById("why-body")).append(...parts);
  panel.focus();
}

/* One of the engine's fixes: a button when the signed-in person may do it,
 * otherwise who could. */
function fixLine(w, f) {
  const li = el("li", { "data-action": f.action });
  const item = f.item && model.plan.checklist.find((i) => i.id === f.item);
  const button = (label, fn) => el("button", { type: "button", class: "fix", onclick: fn }, label);
  switch (f.action) {
  case "approve":
    li.append(`gate ${f.gate} needs an approval as ${f.role} `);
    if (holds(f.role)) li.append(button(`Approve ${f.gate} as ${f.role}`, () => act("POST", "/approvals", { gate: f.gate, role: f.role })));
    break;
  case "check":
    li.append(`${f.item}${item ? " (" + item.text + ")" : ""} is not done `);
    if (model.me && item && !item.check && (!item.by.length || item.by.some(holds)))
      li.append(button(`Tick ${f.item}`, () => act("POST", `/checks/${encodeURIComponent(f.item)}`, {})));
    else if (item && item.check) li.append(el("small", { text: "(its check runs with 'tollgate checklist run')" }));
    break;
  case "blocker":
    li.append(`blocker ${f.blocker} is open `);
    if (model.me) li.append(button(`Resolve ${f.blocker}`, () => act("POST", `/blockers/${encodeURIComponent(f.blocker)}`, { resolve: true })));
    break;
  case "allow":
    li.append(`${w.project} ${f.version} is rejected `);
    if (model.me) li.append(button(`Allow ${f.version} again`, () => {
      const reason = prompt(`Why may ${w.project} ${f.version} go again?`);
      if (reason) act("DELETE", `/rejections/${encodeURIComponent(w.project)}/${encodeURIComponent(f.version)}`, { reason });
    }));
    break;
  default:
    li.append(`held after repeated rollbacks: promote with --retry-held`);
  }
  if (!li.querySelector("button") && !model.me) li.append(el("small", { text: "(sign in to act)" }));
  return li;
}

/* ---- the other views --------------------------------------------------------- */

function renderGates() {
  const root = clear(document.getElementById("gates"));
  for (const g of model.report.gates) {
    const versions = (a) => a.versions && Object.keys(a.versions).length
      ? ` for ${Object.entries(a.versions).map(([p, v]) => p + " " + v).join(", ")}` : "";
    root.append(el("article", { class: "gate", "data-gate": g.id },
      el("h3", {}, g.id, " ", el("span", { class: `badge g-${g.status}`, text: g.status })),
      g.title ? el("p", { text: g.title }) : null,
      el("p", { class: "gate-before", text: `before ${g.before.env}` + (g.before.waves.length ? ` for ${g.before.waves.join(", ")}` : " for every wave") +
        (g.scope === "plan" ? "; approves the plan as a whole" : "; approvals bind to each project's candidate version") }),
      (g.candidates || []).length ? el("p", { class: "candidates" }, "candidates: ",
        g.candidates.map((c, i) => el("span", { class: `cand g-${c.status.replace(" ", "-")}`, text: `${i ? ", " : ""}${c.project} ${c.version} (${c.status})` }))) : null,
      el("ul", {}, g.approvers.map((a) => el("li", { "data-role": a.role },
        el("strong", { text: a.role }), ` (${a.holders.join(", ") || "nobody holds it"}): `,
        a.approved ? `approved by ${a.by} at ${when(a.at)}${versions(a)}` + (a.until ? `, until ${when(a.until)}` : "") : "not approved",
        " ",
        !tv && holds(a.role) && !a.approved
          ? el("button", { type: "button", class: "approve", onclick: () => act("POST", "/approvals", { gate: g.id, role: a.role }) }, `Approve as ${a.role}`) : null,
        !tv && model.me && a.approved && a.by === model.me.person
          ? el("button", { type: "button", class: "revoke", onclick: () => act("DELETE", `/approvals/${encodeURIComponent(g.id)}`) }, "Revoke") : null)))));
  }
}

/* may the signed-in person tick this item? (its `by` roles; none: anyone) */
function mayTick(i) {
  return !!model.me && (!i.by_roles || !i.by_roles.length || i.by_roles.some(holds));
}

function itemLine(i) {
  const id = "tick-" + i.id;
  const box = el("input", { type: "checkbox", id, checked: i.done, disabled: tv || !mayTick(i) || !!i.check,
    title: i.check ? "checked by running its command (checklist run)" : null,
    onchange: (ev) => act(ev.target.checked ? "POST" : "DELETE", `/checks/${encodeURIComponent(i.id)}`, ev.target.checked ? {} : undefined) });
  return el("li", { "data-item": i.id, class: i.done ? "done" : "undone" },
    box, " ", el("label", { for: id, text: i.text }),
    i.by_roles && i.by_roles.length ? el("small", { text: ` (by ${i.by_roles.join(" or ")})` }) : null,
    i.done ? el("small", { text: ` — ${i.by} ${when(i.at)}${i.note ? ": " + i.note : ""}` }) : null);
}

function renderChecklist() {
  const root = clear(document.getElementById("checklist"));
  const r = model.report;
  for (const w of r.waves)
    if (w.prerequisites && w.prerequisites.length)
      root.append(el("h3", { text: `Prerequisites of ${w.title || w.id}` }), el("ul", { class: "items" }, w.prerequisites.map(itemLine)));
  for (const g of r.gates)
    if (g.criteria && g.criteria.length)
      root.append(el("h3", { text: `Criteria of gate ${g.id}` }), el("ul", { class: "items" }, g.criteria.map(itemLine)));
  for (const c of r.checklist)
    root.append(el("h3", { text: c.category }), el("ul", { class: "items" }, c.items.map(itemLine)));
  for (const sc of r.success_criteria || [])
    if (sc.items && sc.items.length)
      root.append(el("h3", { text: `Success in ${sc.title || sc.env}` }), el("ul", { class: "items" }, sc.items.map(itemLine)));
}

function renderBlockers() {
  const root = clear(document.getElementById("blockers"));
  root.append(el("ul", {}, model.report.blockers.map((b) => el("li", { "data-blocker": b.id },
    el("strong", { text: b.id }), ` ${b.text}: `,
    el("progress", { max: 100, value: b.progress, "aria-label": `${b.id} progress` }), ` ${b.progress}%`,
    b.resolved ? " (resolved)" : b.overdue ? " (overdue)" : "",
    b.owner ? ` — ${b.owner}` : "", b.due ? `, due ${b.due}` : "",
    !tv && model.me && !b.resolved ? el("span", { class: "blocker-edit" },
      el("label", {}, " progress ", el("input", { type: "number", min: 0, max: 100, value: b.progress, size: 4, "aria-label": `${b.id} new progress`,
        onchange: (ev) => act("POST", `/blockers/${encodeURIComponent(b.id)}`, { progress: Number(ev.target.value) }) })),
      el("button", { type: "button", onclick: () => act("POST", `/blockers/${encodeURIComponent(b.id)}`, { resolve: true }) }, "Resolved")) : null))));
}

function renderIncidents() {
  const form = document.getElementById("incident-form");
  form.hidden = tv || !model.me;
  const envSel = form.querySelector("select[name=env]");
  if (!envSel.options.length)
    for (const e of model.plan.environments) envSel.append(el("option", { value: e.name, text: e.title || e.name }));
  const root = clear(document.getElementById("incidents"));
  const list = model.report.incidents || [];
  root.append(list.length ? el("ul", {}, list.map((i) => el("li", { "data-incident": i.id },
    `#${i.id} level ${i.level} `, el("strong", { text: i.text || "" }),
    ` (${[i.project, i.env].filter(Boolean).join(" in ") || "everything"}) opened by ${i.opened_by || "?"} ${when(i.opened_at)}`,
    i.resolved_at ? `, resolved ${when(i.resolved_at)}` : ", open",
    !tv && model.me && !i.resolved_at
      ? el("button", { type: "button", class: "resolve", onclick: () => act("POST", `/incidents/${i.id}/resolve`, {}) }, "Resolve") : null))) : el("p", { text: "No incidents." }));
}

function renderRejections() {
  const root = clear(document.getElementById("rejections"));
  const list = model.report.rejections || [];
  root.append(list.length ? el("ul", {}, list.map((r) => el("li", {},
    el("strong", { text: `${r.project} ${r.version}` }), ` ${r.kind} in ${r.env || "every environment"}: ${r.reason || ""}`,
    r.rejected ? "" : ` (allowed again by ${r.allowed_by})`,
    !tv && model.me && r.rejected
      ? el("button", { type: "button", class: "allow", onclick: () => {
          const reason = prompt(`Why may ${r.project} ${r.version} go again?`);
          if (reason) act("DELETE", `/rejections/${encodeURIComponent(r.project)}/${encodeURIComponent(r.version)}`, { reason });
        } }, "Allow again") : null))) : el("p", { text: "No rejected versions." }));
}

/* dead messages of the outbox: a count on the tab, the list in its view */
function renderNotifications(dead) {
  const badge = document.getElementById("dead-count");
  badge.hidden = !dead.length;
  badge.textContent = dead.length ? `${dead.length} dead` : "";
  const root = document.getElementById("notifications");
  if (!root) return;
  clear(root).append(dead.length ? el("ul", {}, dead.map((m) => el("li", { "data-message": m.id },
    el("strong", { text: `#${m.id} ${m.event}` }), ` ${m.subject} → ${m.channel}: ${m.attempts} attempts, `,
    el("code", { text: m.last_error || "" }), ` (delivery ${m.delivery_id})`,
    !tv && model.me
      ? el("button", { type: "button", class: "retry", onclick: () => act("POST", `/notifications/${m.id}/retry`, {}) }, "Retry") : null)))
    : el("p", { text: "Every notification was delivered or is on its way." }));
}

let logEntries = [];
async function renderLog() {
  const [log, verify] = await Promise.all([getJSON("/log?limit=1000"), getJSON("/log/verify")]);
  document.getElementById("chain").textContent = verify.verified
    ? `The chain verifies (${verify.entries !== undefined ? verify.entries + " entries" : "all entries"}).`
    : "The chain does NOT verify: " + JSON.stringify(verify);
  logEntries = log.entries;
  drawLog();
}

/* the filters narrow what was fetched (the last 1,000 entries) */
function drawLog() {
  const f = Object.fromEntries(new FormData(document.getElementById("log-filter")));
  const has = (v, q) => !q || String(v || "").toLowerCase().includes(q.toLowerCase());
  const rows = logEntries.filter((e) =>
    has(e.subject + " " + e.detail, f.subject) && has(e.subject + " " + e.detail, f.env) &&
    has(e.actor, f.actor) && has(e.action, f.action) &&
    (!f.since || e.at.slice(0, 10) >= f.since) && (!f.until || e.at.slice(0, 10) <= f.until));
  const root = clear(document.getElementById("log"));
  root.append(el("p", { class: "count", text: `${rows.length} of ${logEntries.length} entries` }),
    el("table", { class: "log" },
      el("thead", {}, el("tr", {}, ["seq", "at", "actor", "action", "subject", "detail", "through"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows.slice().reverse().map((e) => el("tr", { "data-seq": e.seq },
        el("td", { text: e.seq }), el("td", { text: when(e.at) }), el("td", { text: e.actor }),
        el("td", { text: e.action }), el("td", { text: e.subject }), el("td", { text: e.detail }), el("td", { text: e.auth || "" }))))));
}

/* ---- promote and the run view -------------------------------------------------------- */

let promoteFormFilled = false, runTimer = null, runId = null;
const openTails = new Set(); /* "project/step" whose log tail is shown: followed while the run goes */

function fillPromoteForm() {
  if (promoteFormFilled || !model.plan) return;
  promoteFormFilled = true;
  const sel = document.getElementById("promote-to");
  for (const e of model.plan.environments.slice(1))
    sel.append(el("option", { value: e.name, text: e.title || e.name }));
  const fs = document.getElementById("promote-waves");
  for (const w of model.plan.waves) {
    const id = "pw-" + w.id;
    fs.append(el("input", { type: "checkbox", id, value: w.id }), el("label", { for: id, text: w.title || w.id }), " ");
  }
}

function promoteRequest(dry) {
  const waves = [...document.querySelectorAll("#promote-waves input:checked")].map((i) => i.value);
  const projects = document.getElementById("promote-projects").value.split(/\s+/).filter(Boolean);
  const body = { to: document.getElementById("promote-to").value, jobs: Number(document.getElementById("promote-jobs").value) || 1 };
  if (waves.length) body.waves = waves;
  if (projects.length) body.projects = projects;
  if (dry) body.dry_run = true;
  return body;
}

async function promoteDry() {
  const j = await act("POST", "/promotions", promoteRequest(true));
  const root = clear(document.getElementById("promote-plan"));
  document.getElementById("promote-start").disabled = true;
  if (!j) return;
  const plan = j.plan || [];
  root.append(el("h3", { text: plan.length ? `${plan.length} to promote to ${j.env}, in this order` : "Nothing is ready to promote" }),
    el("ol", { class: "plan-order" }, plan.map((p) => el("li", { "data-project": p.project }, `${p.project} ${p.version}`))),
    (j.not_ready || []).length ? el("details", {}, el("summary", { text: `${j.not_ready.length} not ready` }),
      el("ul", {}, j.not_ready.map((n) => el("li", {}, el("strong", { text: n.project }), ": " + n.summary)))) : "");
  document.getElementById("promote-start").disabled = !plan.length;
}

async function promoteStart(ev) {
  ev.preventDefault();
  const j = await act("POST", "/promotions", promoteRequest(false));
  document.getElementById("promote-start").disabled = true;
  if (!j || !j.run) return;
  runId = j.run;
  watchRun();
}

async function watchRun() {
  clearTimeout(runTimer);
  if (!runId) return;
  let run;
  try { run = await getJSON(`/runs/${encodeURIComponent(runId)}`); } catch (err) { notice(err.message); return; }
  const root = clear(document.getElementById("run"));
  root.dataset.run = run.run;
  root.dataset.state = run.state;
  root.append(el("h3", { text: `Run ${run.run} to ${run.env}: ${run.state}` }),
    el("table", { class: "run-steps" },
      el("thead", {}, el("tr", {}, ["project", "step", "state", "elapsed", "outcome", "log"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, run.steps.map((st) => {
        const end = st.ended ? Date.parse(st.ended) : Date.now();
        const secs = Math.max(0, (end - Date.parse(st.started)) / 1000);
        const tail = el("pre", { class: "log-tail" });
        const key = st.project + "/" + st.step;
        const load = async () => {
          const r = await fetch(st.log + "?tail=4096", { credentials: "same-origin" });
          tail.textContent = r.ok ? await r.text() : `(${r.status})`;
        };
        if (openTails.has(key)) load();
        return el("tr", { "data-project": st.project, "data-step": st.step, "data-state": st.state },
          el("td", { text: st.project }), el("td", { text: st.step }), el("td", { class: "st-" + st.state, text: st.state }),
          el("td", { text: secs.toFixed(1) + " s" }), el("td", { text: st.outcome || "" }),
          el("td", {}, el("button", { type: "button", "aria-expanded": String(openTails.has(key)), onclick: () => {
            if (openTails.has(key)) { openTails.delete(key); tail.textContent = ""; } else { openTails.add(key); load(); }
          } }, "tail"), tail));
      }))));
  if (run.report) {
    const res = run.report.results || [];
    root.append(el("ul", { class: "run-results" }, res.map((r) => el("li", { "data-project": r.project, "data-outcome": r.outcome },
      el("strong", { text: r.project }), ` ${r.version}: ${r.outcome}${r.detail ? " — " + r.detail : ""}`))));
  }
  if (run.state === "running") runTimer = setTimeout(watchRun, 500);
  else refresh(); /* the board shows the outcome even without the event stream */
}

/* ---- the timeline (SVG) ------------------------------------------------------------ */

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function day(s) { return Date.parse(s.length === 10 ? s + "T00:00:00Z" : s); }

/* waves' windows, each project's targets against when it reached each
 * environment (the engine's `since` of a soaking or healthy cell),
 * milestones, freezes shaded, and today's line */
function renderTimeline() {
  const r = model.report, now = model.status.now;
  const envs = model.plan.environments.map((e) => e.name);
  const dates = [day(now)];
  /* the forecast (report.forecast, as GET /forecast): earliest healthy per
   * project × environment not yet healthy */
  const fc = new Map();
  for (const c of (r.forecast && r.forecast.cells) || []) {
    fc.set(c.project + "\n" + c.env, c);
    if (c.target && c.earliest_healthy) dates.push(day(c.earliest_healthy));
  }
  for (const w of r.waves) {
    if (w.window && w.window.from) dates.push(day(w.window.from), day(w.window.to));
    for (const p of w.projects) for (const c of p.cells) {
      if (c.target) dates.push(day(c.target));
      if (c.since && (c.state === "healthy" || c.state === "soaking")) dates.push(day(c.since));
    }
  }
  for (const m of r.milestones || []) dates.push(day(m.date));
  const lo = Math.min(...dates) - 2 * 864e5, hi = Math.max(...dates) + 2 * 864e5;
  const rows = [];
  for (const w of r.waves) { rows.push({ wave: w }); for (const p of w.projects) rows.push({ project: p, wave: w }); }
  const left = 160, width = 1000, rowH = 22, top = 40, height = top + rows.length * rowH + 30;
  const x = (t) => left + ((t - lo) / (hi - lo)) * (width - left - 10);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "timeline", "aria-labelledby": "tl-title" });
  root.append(svg("title", { id: "tl-title" }, "Timeline: wave windows, targets and when each project reached each environment"));
  for (const f of r.freezes || [])
    root.append(svg("rect", { class: "freeze", x: x(day(f.from)), y: top - 10, width: Math.max(2, x(day(f.to)) - x(day(f.from))), height: rows.length * rowH + 10 }),
      svg("text", { class: "freeze-label", x: x(day(f.from)) + 2, y: height - 8 }, `${f.env} frozen: ${f.why || ""}`));
  for (let t = Math.ceil(lo / 864e5) * 864e5; t <= hi; t += 864e5) {
    const d = new Date(t);
    if (d.getUTCDay() !== 1 || x(t) > width - 24) continue; /* a tick each Monday */
    root.append(svg("line", { class: "grid", x1: x(t), x2: x(t), y1: top - 10, y2: top + rows.length * rowH }),
      svg("text", { class: "tick", x: x(t), y: top - 16, "text-anchor": "middle" }, d.toISOString().slice(5, 10)));
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH + rowH / 2;
    if (!row.project) {
      const w = row.wave;
      root.append(svg("text", { class: "wave-label", x: 4, y: y + 4 }, w.title || w.id));
      if (w.window && w.window.from)
        root.append(svg("rect", { class: "window", x: x(day(w.window.from)), y: y - 6, width: Math.max(2, x(day(w.window.to)) - x(day(w.window.from))), height: 12 }));
      return;
    }
    const p = row.project;
    root.append(svg("text", { class: "project-label", x: 14, y: y + 4 }, p.id));
    p.cells.forEach((c) => {
      const k = envs.indexOf(c.env);
      if (c.target) {
        const g = svg("rect", { class: "target env-" + k + (c.late ? " late" : ""), x: x(day(c.target)) - 4, y: y - 4, width: 8, height: 8, transform: `rotate(45 ${x(day(c.target))} ${y})`, "data-project": p.id, "data-env": c.env });
        g.append(svg("title", {}, `${p.id}: target in ${c.env} ${c.target}${c.late ? " (late)" : ""}`));
        root.append(g);
        const f = fc.get(p.id + "\n" + c.env);
        if (f && f.earliest_healthy) {
          /* the forecast next to the target: a line from it when at risk */
          const fx = x(day(f.earliest_healthy)), tx = x(day(c.target));
          if (f.at_risk) root.append(svg("line", { class: "forecast-gap", x1: tx, x2: fx, y1: y, y2: y }));
          const m = svg("path", { class: "forecast env-" + k + (f.at_risk ? " at-risk" : ""), d: `M ${fx - 5} ${y - 6} L ${fx + 5} ${y - 6} L ${fx} ${y + 2} Z`,
            "data-project": p.id, "data-env": c.env, "data-earliest-healthy": f.earliest_healthy, "data-at-risk": f.at_risk ? "1" : "0" });
          m.append(svg("title", {}, `${p.id}: earliest healthy in ${c.env} ${when(f.earliest_healthy)}` +
            `${f.slack_days !== null ? ", slack " + f.slack_days + " days" : ""}${f.at_risk ? " (at risk)" : ""}: ${f.because.join(" → ")}`));
          root.append(m);
        }
      }
      if (c.since && (c.state === "healthy" || c.state === "soaking")) {
        const g = svg("circle", { class: "reached env-" + k, cx: x(day(c.since)), cy: y, r: 5, "data-project": p.id, "data-env": c.env });
        g.append(svg("title", {}, `${p.id}: ${c.state} in ${c.env} since ${when(c.since)}`));
        root.append(g);
      }
    });
  });
  for (const m of r.milestones || []) {
    const g = svg("g", { class: "milestone" + (m.status ? " " + m.status : "") });
    g.append(svg("line", { x1: x(day(m.date)), x2: x(day(m.date)), y1: top - 10, y2: top + rows.length * rowH }),
      svg("title", {}, `${m.date}: ${m.text}${m.status ? " (" + m.status + ")" : ""}`));
    root.append(g);
  }
  root.append(svg("line", { class: "today", x1: x(day(now)), x2: x(day(now)), y1: top - 24, y2: top + rows.length * rowH }),
    svg("text", { class: "today-label", x: x(day(now)) + 3, y: top - 26 }, "today"));
  const legend = el("p", { class: "legend" }, "◇ target, ● reached, ▼ earliest healthy (forecast; red: at risk); ",
    envs.map((e, k) => el("span", { class: "env-key env-" + k, text: e + " " })), "; shaded: freeze; dashed: milestone.");
  clear(document.getElementById("timeline")).append(root, legend);
}

/* ---- loading and live updates -------------------------------------------------- */

let refreshing = null, again = false;
/* the views drawn from the report (16 MB on 10,000 projects): fetched only
 * while one of them is shown */
const reportViews = ["timeline", "gates", "checklist", "blockers", "incidents", "rejections"];
let planStale = true;

async function refresh() {
  if (refreshing) { again = true; return refreshing; }
  refreshing = (async () => {
    try {
      const [plan, status, next, dead] = await Promise.all([planStale || !model.plan ? getJSON("/plan") : model.plan,
        getJSON("/status"), getJSON("/next"), getJSON("/notifications?state=dead")]);
      if (plan !== model.plan) { model.plan = plan; model.planTag = (model.etag["/plan"] || {}).tag || String(Date.now()); }
      planStale = false;
      model.status = status;
      model.next = next;
      const t0 = performance.now();
      let drawn = 0; /* script time spent drawing, fetches excluded */
      document.getElementById("plan-title").textContent = model.plan.title || model.plan.id;
      document.getElementById("plan-id").textContent = model.plan.id;
      renderBoard();
      fillPromoteForm();
      renderNotifications(dead.messages || []);
      drawn += performance.now() - t0;
      if (!document.body.dataset.board) document.body.dataset.board = String(performance.now());
      const view = currentView();
      if (tv || reportViews.includes(view)) {
        model.report = await getJSON("/report?format=json");
        const t1 = performance.now();
        renderTimeline();
        if (!tv) { renderGates(); renderChecklist(); renderBlockers(); renderIncidents(); renderRejections(); }
        drawn += performance.now() - t1;
      } else {
        model.report = null; /* stale: fetched again when a view needs it */
      }
      if (!tv) {
        if (view === "log") await renderLog();
        const w = document.getElementById("why");
        if (!w.hidden) openWhy(w.dataset.project, w.dataset.env);
      }
      document.body.dataset.drawMs = drawn.toFixed(1);
      document.body.dataset.loaded = String(Date.now());
    } catch (err) {
      document.getElementById("summary").textContent = err.message;
    }
  })();
  await refreshing;
  refreshing = null;
  if (again) { again = false; refresh(); }
}

/* The event stream: each entry redraws (one redraw for a burst). The
 * browser reconnects by itself with Last-Event-ID; when it gives up (the
 * server answered an error, e.g. while it was stopping), a new stream
 * starts after the last entry seen (?after=), with a growing pause. */
function live() {
  const state = document.getElementById("live");
  if (!window.EventSource) { state.textContent = "polling"; setInterval(refresh, 5000); return; }
  let timer = null, pause = 500;
  const changed = (ev) => {
    if (ev && ev.lastEventId) model.lastSeq = Number(ev.lastEventId);
    try { if (ev && ev.data && JSON.parse(ev.data).action === "plan.loaded") planStale = true; } catch (e) { planStale = true; }
    document.body.dataset.seq = String(model.lastSeq);
    clearTimeout(timer);
    timer = setTimeout(refresh, 50);
  };
  const open = () => {
    const es = new EventSource(api + "/events" + (model.lastSeq ? `?after=${model.lastSeq}` : ""));
    es.onmessage = changed;
    es.onopen = () => { pause = 500; state.textContent = "live"; state.className = "live on"; refresh(); };
    es.onerror = () => {
      state.textContent = "reconnecting…";
      state.className = "live off";
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(open, pause);
        pause = Math.min(pause * 2, 10000);
      }
    };
  };
  open();
}

function currentView() {
  return (location.hash || "#board").slice(1);
}

function showView() {
  const v = currentView();
  document.getElementById("why").hidden = true;
  for (const s of document.querySelectorAll(".view"))
    s.hidden = tv ? !["view-board", "view-timeline"].includes(s.id) : s.id !== "view-" + v;
  for (const a of document.querySelectorAll(".tabs a")) a.setAttribute("aria-current", a.dataset.view === v ? "page" : "false");
  if (v === "log" && model.plan) renderLog().catch((e) => { document.getElementById("chain").textContent = e.message; });
  if (reportViews.includes(v) && model.plan && !model.report) refresh();
  if (v === "notifications" && model.plan) refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  if (tv) document.body.classList.add("tv");
  document.getElementById("why-close").addEventListener("click", () => { document.getElementById("why").hidden = true; });
  document.getElementById("signin").addEventListener("submit", signIn);
  document.getElementById("promote-dry").addEventListener("click", promoteDry);
  document.getElementById("log-filter").addEventListener("input", drawLog);
  document.getElementById("incident-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const f = Object.fromEntries(new FormData(ev.target));
    const body = { level: Number(f.level), env: f.env, text: f.text };
    if (f.project) body.project = f.project;
    act("POST", "/incidents", body).then((j) => { if (j) ev.target.reset(); });
  });
  document.getElementById("promote-form").addEventListener("submit", promoteStart);
  document.getElementById("signout").addEventListener("click", signOut);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") document.getElementById("why").hidden = true; });
  window.addEventListener("hashchange", showView);
  showView();
  whoAmI().then(refresh).then(live);
});
